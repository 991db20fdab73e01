// Minimal typings for the parts of pngjs 7 used here (the package ships no types).
declare module 'pngjs' {
  interface PngImage {
    width: number;
    height: number;
    data: Uint8Array;
  }
  interface PngReadOptions {
    skipRescale?: boolean;
    checkCRC?: boolean;
  }
  interface PngWriteOptions {
    colorType?: 0 | 2 | 4 | 6;
    inputColorType?: 0 | 2 | 4 | 6;
    inputHasAlpha?: boolean;
    bitDepth?: 8 | 16;
  }
  export const PNG: {
    sync: {
      read(buffer: Buffer, options?: PngReadOptions): PngImage;
      write(png: PngImage, options?: PngWriteOptions): Buffer;
    };
  };
}
