import CRdKafka
import Foundation

/// Delivery results and client errors of one producer, filled in by librdkafka's callbacks (which
/// run on whichever thread polls) and drained by `flush`.
final class ProducerEvents: @unchecked Sendable {
    let errors: ClientErrors
    private let lock = NSLock()
    private var delivered = 0
    private var failures: [KafkaDeliveryFailure] = []

    init(errors: ClientErrors) { self.errors = errors }

    func record(_ message: rd_kafka_message_t) {
        let id = UInt64(UInt(bitPattern: message._private))
        if message.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            lock.withLock { delivered += 1 }
            return
        }
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        let failure = KafkaDeliveryFailure(
            id: id, topic: topic, partition: message.partition,
            error: KafkaError(code: message.err, context: "delivery"))
        lock.withLock { failures.append(failure) }
    }

    func takeResults() -> (delivered: Int, failures: [KafkaDeliveryFailure]) {
        lock.withLock {
            defer {
                delivered = 0
                failures = []
            }
            return (delivered, failures)
        }
    }
}

let producerDeliveryCallback:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        _, message, opaque in
        guard let message, let opaque else { return }
        Unmanaged<ProducerEvents>.fromOpaque(opaque).takeUnretainedValue().record(message.pointee)
    }

let producerErrorCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle, code, reason, opaque in
        guard let opaque else { return }
        let events = Unmanaged<ProducerEvents>.fromOpaque(opaque).takeUnretainedValue()
        events.errors.report(ClientErrors.error(handle: handle, code: code, reason: reason))
    }
