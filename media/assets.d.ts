// CSS imports are bundled by esbuild into dist/media/dashboard.css.
declare module '*.css';
