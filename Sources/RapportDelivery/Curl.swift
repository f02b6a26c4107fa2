import CCurl
import CCurlShims

/// Process-wide libcurl set-up.
public enum Curl {
    private static let initResult: CURLcode = rapport_curl_global_init_all()

    /// Calls `curl_global_init(CURL_GLOBAL_ALL)` once. Idempotent and thread-safe (a lazily initialised static);
    /// call it at start-up before starting threads. The transports call it too.
    public static func globalInit() {
        _ = initResult
    }

    /// libcurl's version text, e.g. `libcurl/7.88.1 OpenSSL/3.0.15 …`.
    public static var version: String {
        String(cString: curl_version())
    }

    /// Whether ``globalInit()`` succeeded.
    static var isInitialised: Bool {
        initResult == CURLE_OK
    }
}
