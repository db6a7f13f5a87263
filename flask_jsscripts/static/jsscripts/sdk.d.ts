// flask-jsscripts: what a script sees (ctx, sdk, console).
// The admin editor adds this file to Monaco with addExtraLib, so `ctx.` and `sdk.` complete in
// plain JavaScript. Scripts run in Duktape on the server: there is no DOM, no timers, no fetch
// and no require. Every sdk call is synchronous (awaiting one is allowed and harmless).

/** A JSON value: what crosses between a script and the server. */
type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** Options of an sdk.http request. */
interface HttpRequestOptions {
  /** Request headers, e.g. {"Authorization": "Bearer …"}. */
  headers?: Record<string, string>;
  /** Query-string parameters appended to the URL. */
  query?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  /** Request body: a string is sent as is, anything else as JSON. */
  body?: any;
  /** Time limit in seconds (capped by the server's own limit). */
  timeout?: number;
}

/** The answer to an sdk.http request. */
interface HttpResponse {
  /** HTTP status code, e.g. 200. */
  status: number;
  /** Response headers (lower-case names). */
  headers: Record<string, string>;
  /** Parsed JSON when the response is JSON, else the text. */
  body: any;
}

/**
 * Outbound HTTP, guarded against SSRF: public http/https hosts only, size and time capped.
 * Failures throw an Error whose `code` is SSRF_BLOCKED, HTTP_TIMEOUT, HTTP_ERROR,
 * RESPONSE_TOO_LARGE, TOO_MANY_REDIRECTS, UNSUPPORTED_CHARSET (the answer's charset is not one
 * the server decodes: UTF-8, UTF-16, ISO-8859-x, windows-125x, ...) or BAD_REQUEST.
 */
interface JSScriptsHttp {
  /** GET a URL; returns {status, headers, body}. */
  get(url: string, options?: HttpRequestOptions): HttpResponse;
  /** POST to a URL (options.body is the payload); returns {status, headers, body}. */
  post(url: string, options?: HttpRequestOptions): HttpResponse;
  /** PUT to a URL (options.body is the payload); returns {status, headers, body}. */
  put(url: string, options?: HttpRequestOptions): HttpResponse;
  /** PATCH a URL (options.body is the payload); returns {status, headers, body}. */
  patch(url: string, options?: HttpRequestOptions): HttpResponse;
  /** DELETE a URL; returns {status, headers, body}. */
  delete(url: string, options?: HttpRequestOptions): HttpResponse;
}

/** Durable key-value state of this script in this tenant (keys: strings of 1-255 characters). */
interface JSScriptsKV {
  /** The stored value of `key`, or `defaultValue` (null if omitted) when missing or expired. */
  get<T = any>(key: string, defaultValue?: T): T;
  /** Store a JSON value under `key`, optionally expiring after `ttlSeconds`; returns true. */
  set(key: string, value: JSONValue, ttlSeconds?: number): boolean;
  /** Remove `key`; returns true if it existed. */
  delete(key: string): boolean;
  /**
   * Add `by` (default 1) to the number under `key` (missing counts as 0); returns the new value.
   * Throws NUMBER_OUT_OF_RANGE, and changes nothing, when the sum is beyond a JavaScript number.
   */
  incr(key: string, by?: number): number;
}

/** Structured log lines, stored with the execution. */
interface JSScriptsLog {
  /** Log at debug level; `meta` is any JSON value stored alongside. */
  debug(message: any, meta?: any): void;
  /** Log at info level; `meta` is any JSON value stored alongside. */
  info(message: any, meta?: any): void;
  /** Log at warning level; `meta` is any JSON value stored alongside. */
  warn(message: any, meta?: any): void;
  /** Log at error level; `meta` is any JSON value stored alongside. */
  error(message: any, meta?: any): void;
}

/** Domain events. */
interface JSScriptsEvents {
  /**
   * Publish a domain event (delivered asynchronously to the scripts subscribed to `type`);
   * returns its id. Throws an Error whose `code` is PUBLISH_LIMIT past the run's or the
   * tenant's per-minute publish budget (nothing is published), EVENT_DEPTH_EXCEEDED past the
   * causation depth, BAD_REQUEST for a bad type or payload.
   */
  publish(type: string, payload?: JSONValue): { id: string };
}

/** Functions the host application exposed to scripts (js.expose("name", fn)); dotted names nest. */
interface JSScriptsHost {
  [name: string]: any;
}

/** The server-side capabilities a script may use. */
declare const sdk: {
  /** Outbound HTTP requests (public hosts only): get, post, put, patch, delete. */
  readonly http: JSScriptsHttp;
  /** Durable per-tenant, per-script key-value state: get, set, delete, incr. */
  readonly kv: JSScriptsKV;
  /** Structured logging stored with the execution: debug, info, warn, error. */
  readonly log: JSScriptsLog;
  /** Domain events: publish(type, payload). */
  readonly events: JSScriptsEvents;
  /** Functions registered by the host application with expose(); e.g. sdk.host.orders.find(id). */
  readonly host: JSScriptsHost;
};

/** Console output, stored with the execution (log is recorded as info). */
declare const console: {
  /** Write a debug line (arguments are joined with spaces). */
  debug(...args: any[]): void;
  /** Write an info line (arguments are joined with spaces). */
  info(...args: any[]): void;
  /** Write an info line (arguments are joined with spaces). */
  log(...args: any[]): void;
  /** Write a warning line (arguments are joined with spaces). */
  warn(...args: any[]): void;
  /** Write an error line (arguments are joined with spaces). */
  error(...args: any[]): void;
};

/** What started this run. */
type ScriptTrigger = 'manual' | 'cron' | 'http' | 'event' | 'api';

/** The context of one run: passed to main(ctx) and also visible to top-level code as `ctx`. */
interface ScriptContext {
  /** The tenant the script belongs to. */
  readonly tenant: {
    /** Tenant key. */
    readonly id: string;
  };
  /** The user who started the run; null for cron and event runs. */
  readonly user: {
    /** User id. */
    readonly id: string;
    /** Display name, if known. */
    readonly name?: string;
    /** E-mail address, if known. */
    readonly email?: string;
    /** Login name, if known. */
    readonly username?: string;
  } | null;
  /** The script being run. */
  readonly script: {
    /** Script id. */
    readonly id: string;
    /** Script name (unique per tenant). */
    readonly name: string;
    /** The version number that is running. */
    readonly version: number;
  };
  /** This execution. */
  readonly execution: {
    /** Execution id. */
    readonly id: string;
    /** What started the run: manual, cron, http, event or api. */
    readonly trigger: ScriptTrigger;
    /** Attempt number, 1 for the first try (higher on retries). */
    readonly attempt: number;
  };
  /** JSON input of a manual or API run (null when none was given). */
  readonly input: any;
  /** The domain event, for event-triggered runs. */
  readonly event?: {
    /** Event id. */
    readonly id: string;
    /** Event type, e.g. "order.created". */
    readonly type: string;
    /** Event payload. */
    readonly data: any;
    /** When the event was published (ISO 8601). */
    readonly timestamp: string;
  };
  /** The HTTP request, for HTTP-endpoint runs. */
  readonly request?: {
    /** HTTP method, e.g. "GET". */
    readonly method: string;
    /** Request path below the endpoint prefix. */
    readonly path: string;
    /** Path parameters captured by the endpoint pattern. */
    readonly params: Record<string, string>;
    /** Query-string parameters. */
    readonly query: Record<string, string | string[]>;
    /** Request headers (lower-case names). */
    readonly headers: Record<string, string>;
    /** Parsed JSON body, or the text, or null. */
    readonly body: any;
  };
}

/** What an HTTP-endpoint script may return from main(ctx). */
interface ScriptHttpResponse {
  /** HTTP status code (default 200). */
  status?: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** Response body: JSON value or text. */
  body?: any;
}

/** The type of a script's entry point: `function main(ctx) { … }`. */
type ScriptMain = (ctx: ScriptContext) => any;

/** The context of this run (inside main(ctx) the parameter is the same object). */
declare const ctx: ScriptContext;

/**
 * Entry point of a script: called with the run's context; its return value is the result
 * (for HTTP scripts: {status, headers, body}). If a script has no main, the value of its last
 * expression is the result. Annotate the parameter so it completes:
 * `/** @param {ScriptContext} ctx *\/ function main(ctx) { … }`
 */
declare function main(ctx: ScriptContext): any;
