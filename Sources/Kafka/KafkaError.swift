import CRdKafka

/// A failure reported by librdkafka (or by this wrapper's own input checks), carrying librdkafka's
/// error code, its symbolic name (`_UNKNOWN_PARTITION`, `MSG_SIZE_TOO_LARGE`, ...) and message, so
/// that logs and operators can look the code up in librdkafka's documentation.
public struct KafkaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The numeric `rd_kafka_resp_err_t`; negative codes are client-side (`_`-prefixed names).
    public let code: Int32
    /// librdkafka's name for the code, e.g. `_TRANSPORT`.
    public let name: String
    /// What failed and why, in librdkafka's words where it gave any.
    public let message: String
    /// A fatal error leaves the client unusable: it must be closed and recreated.
    public let isFatal: Bool

    public var description: String { "\(message) [\(name)]" }

    init(code: rd_kafka_resp_err_t, message: String? = nil, context: String? = nil, isFatal: Bool = false) {
        self.code = code.rawValue
        self.name = String(cString: rd_kafka_err2name(code))
        let text = message ?? String(cString: rd_kafka_err2str(code))
        self.message = context.map { "\($0): \(text)" } ?? text
        self.isFatal = isFatal
    }

    /// Takes ownership of (and destroys) an `rd_kafka_error_t`.
    init(consuming error: OpaquePointer, context: String? = nil) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: rd_kafka_error_code(error), message: String(cString: rd_kafka_error_string(error)),
            context: context, isFatal: rd_kafka_error_is_fatal(error) != 0)
    }

    /// An input the wrapper refuses before librdkafka sees it.
    static func invalidArgument(_ message: String) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG, message: message)
    }

    /// The fatal error recorded on a handle, if any.
    static func fatal(of handle: OpaquePointer) -> KafkaError? {
        // Checked on every send: ask for the code alone first, which allocates nothing.
        guard rd_kafka_fatal_error(handle, nil, 0) != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        var text = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &text, text.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(code: code, message: String(cString: text), context: "fatal", isFatal: true)
    }
}
