import CCurl
import CCurlShims

/// One libcurl easy handle with the memory it points into: the error buffer, the callback state and the
/// string lists of the current transfer.
///
/// Not thread-safe: the owning transport serialises all use. Reusing one handle keeps connections open.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    let state = TransferState()
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UnsafeMutablePointer<curl_slist>] = []

    init() throws(DeliveryConfigurationError) {
        Curl.globalInit()
        guard Curl.isInitialised else { throw DeliveryConfigurationError("curl_global_init failed") }
        guard let handle = curl_easy_init() else { throw DeliveryConfigurationError("curl_easy_init failed") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        let userData = Unmanaged.passUnretained(state).toOpaque()
        rapport_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        rapport_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        rapport_curl_setopt_read_callback(handle, CurlCallbacks.read)
        rapport_curl_setopt_pointer(handle, CURLOPT_READDATA, userData)
        rapport_curl_setopt_write_callback(handle, CurlCallbacks.write)
        rapport_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, userData)
        rapport_curl_setopt_header_callback(handle, CurlCallbacks.header)
        rapport_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, userData)
    }

    deinit {
        curl_easy_cleanup(handle)
        freeLists()
        errorBuffer.deallocate()
    }

    /// Sets a string option; libcurl copies the string.
    func set(_ option: CURLoption, _ value: String) throws(DeliveryConfigurationError) {
        try check(rapport_curl_setopt_string(handle, option, value), option)
    }

    /// Sets a long option.
    func set(_ option: CURLoption, _ value: Int) throws(DeliveryConfigurationError) {
        try check(rapport_curl_setopt_long(handle, option, value), option)
    }

    /// Sets an `off_t` option.
    func set(_ option: CURLoption, offset value: Int64) throws(DeliveryConfigurationError) {
        try check(rapport_curl_setopt_off_t(handle, option, curl_off_t(value)), option)
    }

    /// Sets a timeout option in milliseconds from a duration (at least 1 ms).
    func set(_ option: CURLoption, milliseconds duration: Duration) throws(DeliveryConfigurationError) {
        let (seconds, attoseconds) = duration.components
        let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        try set(option, Int(clamping: milliseconds))
    }

    /// Sets a string-list option; the list lives until ``freeLists()`` (the next transfer) or deinit.
    func set(_ option: CURLoption, list items: [String]) throws(DeliveryConfigurationError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for item in items {
            guard let appended = curl_slist_append(list, item) else {
                curl_slist_free_all(list)
                throw DeliveryConfigurationError("curl_slist_append failed")
            }
            list = appended
        }
        if let list { lists.append(list) }
        try check(rapport_curl_setopt_slist(handle, option, list), option)
    }

    /// Frees the string lists of the previous transfer. Call only after the options pointing to them were
    /// replaced or the transfer that used them finished.
    func freeLists() {
        for list in lists {
            curl_slist_free_all(list)
        }
        lists.removeAll()
    }

    /// Runs the transfer; returns libcurl's code and its error text (or `curl_easy_strerror`).
    func perform() -> (code: CURLcode, message: String) {
        errorBuffer[0] = 0
        let code = curl_easy_perform(handle)
        var message = String(cString: errorBuffer)
        if message.isEmpty {
            message = String(cString: curl_easy_strerror(code))
        }
        return (code, message.trimmingLineEnd())
    }

    /// `CURLINFO_RESPONSE_CODE` of the last transfer (0 when none).
    var responseCode: Int {
        var code = 0
        rapport_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(DeliveryConfigurationError) {
        guard code == CURLE_OK else {
            let text = String(cString: curl_easy_strerror(code))
            throw DeliveryConfigurationError("curl option \(option.rawValue) refused: \(text)")
        }
    }
}
