# boldstream server image. Build: docker build -t boldstream .
# Run:   docker run -p 8080:8080 -v /path/to/data:/data -v boldstream-state:/state boldstream
# The image holds no scans: mount them at /data (BOLDSTREAM_DATA_DIR). Recordings and model bundles
# go to /state so that they outlive the container.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY proto ./proto
COPY scripts ./scripts
# The tfjs-node optional packages download libtensorflow at install time; where that host is
# unreachable they are skipped and boldstream falls back to the wasm backend.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    BOLDSTREAM_HOST=0.0.0.0 \
    BOLDSTREAM_PORT=8080 \
    BOLDSTREAM_DATA_DIR=/data \
    BOLDSTREAM_RECORDINGS_DIR=/state/recordings \
    BOLDSTREAM_MODELS_DIR=/state/models
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY proto ./proto
COPY clients/web ./clients/web
COPY config ./config
RUN mkdir -p /data /state && chown node:node /state
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/bin.js"]
CMD ["serve"]
