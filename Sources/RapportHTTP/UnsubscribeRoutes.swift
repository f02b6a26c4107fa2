import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RapportCore
import RapportStore

/// One-click unsubscribe (RFC 8058) at `/unsubscribe/<token>`.
///
/// - `POST` with the form body `List-Unsubscribe=One-Click` (what a mailbox provider sends, and
///   what the confirmation page's button sends) records the opt-out at once: the contact's
///   pending promotions are cancelled in the same transaction. Repeating it is harmless.
/// - `GET` answers a small confirmation page (HTML, no scripts) whose button POSTs; a GET alone
///   changes nothing, because link scanners follow every link in a message.
/// - A malformed token gets 400, a forged, altered or expired one 403; neither changes anything.
public struct UnsubscribeRoutes: HTTPRoutes {
    let secret: [UInt8]
    let store: any ConsentStore
    let businessName: String
    let logger: Logger
    let clock: @Sendable () -> Date

    public init(
        secret: [UInt8], store: any ConsentStore, businessName: String, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.secret = secret
        self.store = store
        self.businessName = businessName
        self.logger = logger
        self.clock = clock
    }

    /// The RFC 8058 body, as form fields.
    static let oneClickField = "List-Unsubscribe"
    static let oneClickValue = "One-Click"

    public func register(on router: Router<BasicRequestContext>) {
        router.get("unsubscribe/:token") { _, context in
            switch verify(context.parameters.get("token")) {
            case .failure(let refusal): return refusal.response
            case .success:
                return page(
                    .ok, title: "Unsubscribe",
                    body: """
                        <p>Stop receiving offers and news from \(escape(businessName))?</p>
                        <form method="post">
                        <input type="hidden" name="\(Self.oneClickField)" value="\(Self.oneClickValue)">
                        <button type="submit">Unsubscribe</button>
                        </form>
                        <p class="small">Messages about work we do for you are not affected.</p>
                        """)
            }
        }
        router.post("unsubscribe/:token") { request, context in
            let token: UnsubscribeToken
            switch verify(context.parameters.get("token")) {
            case .failure(let refusal): return refusal.response
            case .success(let verified): token = verified
            }
            let body = try await request.body.collect(upTo: 4_096)
            guard Self.isOneClick(String(buffer: body)) else {
                return page(
                    .badRequest, title: "Not unsubscribed",
                    body: "<p>The request did not say <code>List-Unsubscribe=One-Click</code>.</p>")
            }
            let optOut = OptOut(
                contactID: token.contactID, scope: token.scope.rawValue, at: clock(), source: "link",
                actor: "unsubscribe-link", note: nil)
            let store = store
            let outcome = await ObservabilityRoutes.offEventLoop {
                Result { () throws(StoreError) -> [String] in try store.recordOptOut(optOut) }
            }
            switch outcome {
            case .success(let cancelled):
                logger.info(
                    "contact unsubscribed by link",
                    metadata: ["contact": "\(token.contactID)", "cancelled": "\(cancelled.count)"])
                return page(
                    .ok, title: "Unsubscribed",
                    body: "<p>You will receive no more offers from \(escape(businessName)).</p>")
            case .failure(let error):
                logger.error("cannot record an opt-out", metadata: ["error": "\(error)"])
                return page(
                    .serviceUnavailable, title: "Please try again",
                    body: "<p>Your request could not be recorded just now. Please try again later.</p>")
            }
        }
    }

    /// The token, or the refusal to answer with.
    private func verify(_ text: String?) -> Result<UnsubscribeToken, RefusalResponse> {
        do {
            return .success(try UnsubscribeToken(verifying: text ?? "", secret: secret, now: clock()))
        } catch {
            logger.notice("unsubscribe link refused", metadata: ["problem": "\(error)"])
            let status: HTTPResponse.Status = error == .malformed ? .badRequest : .forbidden
            let advice =
                if case .expired = error {
                    "This link has expired. Use the link in a more recent message, or reply to it."
                } else {
                    "This link is not valid."
                }
            return .failure(RefusalResponse(page(status, title: "Link not valid", body: "<p>\(advice)</p>")))
        }
    }

    /// Whether a form body carries `List-Unsubscribe=One-Click`.
    static func isOneClick(_ body: String) -> Bool {
        body.split(separator: "&").contains { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            return parts.count == 2 && parts[0] == oneClickField && parts[1] == oneClickValue
        }
    }

    private func page(_ status: HTTPResponse.Status, title: String, body: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}.small{color:#555}</style>
            </head><body>
            <h1>\(escape(title))</h1>
            \(body)
            </body></html>

            """
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
                .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// A ready refusal page, as the failure of a token check.
struct RefusalResponse: Error {
    var response: Response
    init(_ response: Response) { self.response = response }
}
