/// What libcurl's callbacks read from and write to during one transfer.
///
/// Owned by a ``CurlEasy``; its address is given to libcurl as the callbacks' user data, so it must outlive the
/// handle. Only the thread running `curl_easy_perform` touches it.
final class TransferState {
    /// The bytes to upload (SMTP) and how many were read so far.
    var upload: [UInt8] = []
    var uploadOffset = 0
    /// The start of the response body (at most ``bodyLimit`` bytes are kept).
    var body: [UInt8] = []
    let bodyLimit = 1024
    /// The response header lines of the last response (HTTP), without line endings.
    var headerLines: [String] = []
    /// The last line the server sent in the protocol dialogue (SMTP), e.g. `550 5.1.1 mailbox unavailable`.
    var lastServerLine: String?
    /// The verb of the last command sent (SMTP), e.g. `RCPT`.
    var lastCommand: String?
    /// The last 4xx/5xx line the server sent (SMTP) and the verb of the command it answered.
    var failureLine: String?
    var failureStage: String?

    func reset(upload: [UInt8] = []) {
        self.upload = upload
        uploadOffset = 0
        body.removeAll(keepingCapacity: true)
        headerLines.removeAll(keepingCapacity: true)
        lastServerLine = nil
        lastCommand = nil
        failureLine = nil
        failureStage = nil
    }
}
