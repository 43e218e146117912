// The Web Worker that computes the guest's bcrypt off the page's thread (client/bcrypt.ts).
import { bcrypt } from "hash-wasm";
import { hashWith } from "./bcrypt.ts";

self.onmessage = async (e: MessageEvent<{ id: number; password: string; salt: string }>) => {
  const { id, password, salt } = e.data;
  try {
    self.postMessage({ id, hash: await hashWith(bcrypt, password, salt) });
  } catch (err) {
    self.postMessage({ id, error: String((err as Error)?.message ?? err) });
  }
};
