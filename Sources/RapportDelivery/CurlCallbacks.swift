import CCurl

/// The C callbacks given to libcurl. They cannot capture context, so each receives its ``TransferState`` through
/// the user-data pointer (`Unmanaged.passUnretained(state).toOpaque()`).
enum CurlCallbacks {
    /// `CURLOPT_READFUNCTION`: copies the next part of `state.upload` into libcurl's buffer.
    static let read: curl_read_callback = { buffer, size, count, userData in
        guard let buffer, let userData else { return 0 }
        let state = Unmanaged<TransferState>.fromOpaque(userData).takeUnretainedValue()
        let capacity = size * count
        let remaining = state.upload.count - state.uploadOffset
        let length = min(capacity, remaining)
        guard length > 0 else { return 0 }
        state.upload.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(
                from: source.baseAddress! + state.uploadOffset, byteCount: length)
        }
        state.uploadOffset += length
        return length
    }

    /// `CURLOPT_WRITEFUNCTION`: keeps the first `state.bodyLimit` bytes of the response body, accepts the rest.
    static let write: curl_write_callback = { buffer, size, count, userData in
        let length = size * count
        guard let buffer, let userData else { return length }
        let state = Unmanaged<TransferState>.fromOpaque(userData).takeUnretainedValue()
        let keep = min(length, state.bodyLimit - state.body.count)
        if keep > 0 {
            buffer.withMemoryRebound(to: UInt8.self, capacity: keep) { bytes in
                state.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: keep))
            }
        }
        return length
    }

    /// `CURLOPT_HEADERFUNCTION`: records header lines; a new status line starts a new response.
    static let header: curl_write_callback = { buffer, size, count, userData in
        let length = size * count
        guard let buffer, let userData else { return length }
        let state = Unmanaged<TransferState>.fromOpaque(userData).takeUnretainedValue()
        let line = buffer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
        }
        let trimmed = line.trimmingLineEnd()
        if trimmed.hasPrefix("HTTP/") {
            state.headerLines.removeAll(keepingCapacity: true)
        }
        if !trimmed.isEmpty && state.headerLines.count < 100 {
            state.headerLines.append(trimmed)
        }
        return length
    }

    /// `CURLOPT_DEBUGFUNCTION` (with `CURLOPT_VERBOSE`): remembers the protocol dialogue's last server line and the
    /// verb of the last command, so an SMTP failure can say `550 … (RCPT)`. Command arguments (AUTH data) are
    /// never kept.
    static let debug: curl_debug_callback = { _, type, data, size, userData in
        guard let data, let userData, type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT else { return 0 }
        let state = Unmanaged<TransferState>.fromOpaque(userData).takeUnretainedValue()
        // Read as bytes: every command and answer of every message passes through here.
        let bytes = UnsafeRawBufferPointer(start: data, count: min(size, 512))
        func isLineEnd(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0D }
        if type == CURLINFO_HEADER_IN {
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, !isLineEnd(bytes[end]) { end += 1 }
                if end > start {
                    let line = String(decoding: bytes[start..<end], as: UTF8.self)
                    state.lastServerLine = line
                    if bytes[start] == UInt8(ascii: "4") || bytes[start] == UInt8(ascii: "5") {
                        state.failureLine = line
                        state.failureStage = state.lastCommand
                    }
                }
                start = end + 1
            }
        } else {
            var end = 0
            while end < bytes.count, bytes[end] != UInt8(ascii: " "), !isLineEnd(bytes[end]) { end += 1 }
            let verb = String(decoding: bytes[0..<end], as: UTF8.self).uppercased()
            if !verb.isEmpty, verb != "QUIT" { state.lastCommand = verb }
        }
        return 0
    }
}

extension String {
    /// The string without trailing CR and LF characters.
    func trimmingLineEnd() -> String {
        var result = Substring(self)
        while let last = result.last, last == "\r" || last == "\n" || last == "\r\n" {
            result = result.dropLast()
        }
        return String(result)
    }
}
