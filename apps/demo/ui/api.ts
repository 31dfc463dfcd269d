/** The API client of the web app: bearer token, JSON, problem+json errors, uploads with progress. */

const TOKEN_KEY = 'kb-demo-token';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  issues?: { path: string; message: string }[];
  details?: unknown;
}

export class ApiError extends Error {
  readonly problem: Problem;
  /** The parsed JSON body of a refusal that is not a problem document (e.g. an import's 422 result). */
  readonly body: unknown;
  constructor(problem: Problem, body?: unknown) {
    super(problem.detail);
    this.problem = problem;
    this.body = body;
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, value);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token();
  return t ? { authorization: `Bearer ${t}`, ...extra } : extra;
}

async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  if (typeof (body as Problem | undefined)?.code === 'string') return new ApiError(body as Problem);
  const problem: Problem = {
    type: 'about:blank',
    title: response.statusText,
    status: response.status,
    detail:
      body === undefined
        ? text.slice(0, 300) || response.statusText
        : `refused with status ${response.status}`,
    code: 'HTTP',
  };
  return new ApiError(problem, body);
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: headers() };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = headers({ 'content-type': 'application/json' });
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T = unknown>(path: string, query: Record<string, unknown> = {}): Promise<T> => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return api<T>('GET', qs ? `${path}?${qs}` : path);
};

/** Uploads `file` as the raw request body, reporting progress (0–1); resolves with the JSON answer. */
export function upload<T = unknown>(
  path: string,
  file: Blob,
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [k, v] of Object.entries(
      headers({ 'content-type': file.type || 'application/octet-stream' }),
    )) {
      xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () =>
      reject(
        new ApiError({
          type: 'about:blank',
          title: 'Network error',
          status: 0,
          detail: 'the upload failed: network error',
          code: 'NETWORK',
        }),
      );
    xhr.onload = () => {
      onProgress(1);
      const response = new Response(xhr.responseText, {
        status: xhr.status,
        headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' },
      });
      if (xhr.status >= 200 && xhr.status < 300)
        resolve(xhr.responseText ? JSON.parse(xhr.responseText) : undefined);
      else failure(response).then(reject, reject);
    };
    xhr.send(file);
  });
}

/** Downloads `path` with the token and hands the file to the browser under its server-given name. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw await failure(response);
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
