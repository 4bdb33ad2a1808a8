/** Streams a file to the server with XMLHttpRequest, whose upload events give real byte progress (fetch has none). */
import { ApiError } from "./api.ts";

export interface UploadHandle {
  done: Promise<unknown>;
  abort(): void;
}

/** POSTs `file` as the raw body with `contentType`; `onProgress(sent, total)` follows the bytes on the wire. */
export function uploadFile(url: string, file: Blob, contentType: string, onProgress: (sent: number, total: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<unknown>((resolve, reject) => {
    xhr.open("POST", url);
    xhr.setRequestHeader("content-type", contentType);
    xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener("load", () => {
      let body: any;
      try { body = JSON.parse(xhr.responseText || "null"); } catch { body = undefined; }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      reject(new ApiError(xhr.status, body?.error?.code ?? `http_${xhr.status}`, body?.error?.message ?? `upload failed (${xhr.status})`));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network_error", "the upload was interrupted")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "the upload was canceled")));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
