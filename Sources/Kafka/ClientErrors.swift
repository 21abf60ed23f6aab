import CRdKafka
import Foundation

/// Routes librdkafka's asynchronous client errors (broker down, authentication, fatal idempotence
/// errors) to the caller's handler, or to stderr when there is none, so that none is swallowed.
final class ClientErrors: @unchecked Sendable {
    typealias Handler = @Sendable (KafkaError) -> Void

    private let handler: Handler?
    private let clientName: String

    init(clientName: String, handler: Handler?) {
        self.clientName = clientName
        self.handler = handler
    }

    func report(_ error: KafkaError) {
        if let handler {
            handler(error)
        } else {
            FileHandle.standardError.write(Data("kafka \(clientName): \(error)\n".utf8))
        }
    }

    /// Converts an `error_cb` call into a `KafkaError`, resolving `_FATAL` to the underlying cause.
    static func error(handle: OpaquePointer?, code: Int32, reason: UnsafePointer<CChar>?) -> KafkaError {
        let code = rd_kafka_resp_err_t(rawValue: code)
        if code == RD_KAFKA_RESP_ERR__FATAL, let handle, let fatal = KafkaError.fatal(of: handle) {
            return fatal
        }
        return KafkaError(code: code, message: reason.map { String(cString: $0) })
    }
}

/// Converts seconds to librdkafka's millisecond timeouts, refusing negative or non-finite values.
func milliseconds(_ seconds: Double, _ what: String) throws -> Int32 {
    guard seconds.isFinite, seconds >= 0 else {
        throw KafkaError.invalidArgument("\(what) must be a finite number of seconds >= 0 (got \(seconds))")
    }
    return Int32(clamping: Int64((seconds * 1000).rounded(.up)))
}
