/// A message that librdkafka gave up on (after its retries), named by the identifier the caller
/// passed to `KafkaProducer.send`.
public struct KafkaDeliveryFailure: Sendable, Equatable, CustomStringConvertible {
    /// The caller's identifier from `send(..., id:)`.
    public let id: UInt64
    public let topic: String
    /// The partition it was meant for; -1 when none had been chosen yet.
    public let partition: Int32
    public let error: KafkaError

    public var description: String { "message \(id) to \(topic)[\(partition)]: \(error)" }
}

/// Thrown by `KafkaProducer.flush` when some messages were not delivered: those that failed, and
/// how many were still in flight when the time limit ran out.
public struct KafkaDeliveryError: Error, Sendable, CustomStringConvertible {
    public let failures: [KafkaDeliveryFailure]
    /// Messages neither delivered nor failed when `flush` gave up waiting.
    public let undelivered: Int
    /// Messages delivered since the previous `flush`.
    public let delivered: Int

    public var description: String {
        var parts: [String] = []
        if !failures.isEmpty {
            let shown = failures.prefix(5).map(\.description).joined(separator: "; ")
            let more = failures.count > 5 ? " (and \(failures.count - 5) more)" : ""
            parts.append("\(failures.count) message(s) failed: \(shown)\(more)")
        }
        if undelivered > 0 { parts.append("\(undelivered) message(s) still undelivered at the flush time limit") }
        return "Kafka delivery incomplete: " + parts.joined(separator: "; ") + " (\(delivered) delivered)"
    }
}
