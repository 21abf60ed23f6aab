import Foundation
import Kafka
import TestSupport
import XCTest

/// Client settings that make the mock cluster's group protocol quick: short sessions and
/// heartbeats (the mock waits for session.timeout - 1 s before completing a rebalance that not every
/// member rejoined) and frequent metadata refreshes.
func fastConsumerConfiguration(_ bootstrapServers: String, _ extra: [(String, String)] = []) -> KafkaConfiguration {
    fastProducerConfiguration(
        bootstrapServers,
        [("session.timeout.ms", "3000"), ("heartbeat.interval.ms", "250"), ("fetch.wait.max.ms", "100")]
            + (ProcessInfo.processInfo.environment["KAFKA_TEST_DEBUG"].map { [("debug", $0)] } ?? []) + extra)
}

func fastProducerConfiguration(_ bootstrapServers: String, _ extra: [(String, String)] = []) -> KafkaConfiguration {
    KafkaConfiguration(
        bootstrapServers: bootstrapServers,
        [
            ("topic.metadata.refresh.interval.ms", "1000"), ("reconnect.backoff.ms", "50"),
            ("reconnect.backoff.max.ms", "500"),
        ] + extra)
}

/// Collects what a consumer's handlers saw, in order.
final class ConsumerLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storedEvents: [KafkaRebalanceEvent] = []
    private var storedErrors: [KafkaError] = []

    var events: [KafkaRebalanceEvent] { lock.withLock { storedEvents } }
    var errors: [KafkaError] { lock.withLock { storedErrors } }

    func record(_ event: KafkaRebalanceEvent) { lock.withLock { storedEvents.append(event) } }
    func record(_ error: KafkaError) { lock.withLock { storedErrors.append(error) } }
}

/// A consumer whose rebalances and errors are logged, with the fast test settings.
func makeConsumer(
    _ bootstrapServers: String, group: String, topic: String, log: ConsumerLog, extra: [(String, String)] = [],
    onRevoke: ((KafkaConsumer, [KafkaTopicPartition]) -> Void)? = nil
) throws -> KafkaConsumer {
    try KafkaConsumer(
        configuration: fastConsumerConfiguration(bootstrapServers, extra), groupID: group, topics: [topic],
        onRebalance: { consumer, event in
            log.record(event)
            if case .revoked(let partitions, _) = event { onRevoke?(consumer, partitions) }
        },
        onError: { log.record($0) })
}

/// Polls the consumers in turn (each poll also serves its rebalances) until `done` or the time limit.
func pollUntil(
    _ consumers: [KafkaConsumer], timeout: TimeInterval = 20, slice: TimeInterval = 0.1,
    onMessages: (Int, [KafkaMessage]) throws -> Void = { _, _ in }, done: () throws -> Bool
) throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try done() { return true }
        for (index, consumer) in consumers.enumerated() {
            let batch = try consumer.poll(maxMessages: 500, timeout: slice)
            if !batch.isEmpty { try onMessages(index, batch) }
        }
    }
    return try done()
}

/// Produces `count` keyed messages spread over `partitions` partitions explicitly, and flushes.
func produce(
    _ bootstrapServers: String, topic: String, count: Int, partitions: Int32, prefix: String = "m"
) throws {
    let producer = try KafkaProducer(configuration: fastProducerConfiguration(bootstrapServers))
    for index in 0..<count {
        try producer.send(
            topic: topic, partition: Int32(index) % partitions, key: "\(prefix)-key-\(index)",
            value: "\(prefix)-value-\(index)", headers: [KafkaHeader(name: "index", value: "\(index)")],
            id: UInt64(index))
    }
    XCTAssertEqual(try producer.flush(timeout: 20), count)
}

/// The producer-side index that `produce` put in a message's `index` header, or -1 when missing.
func producedIndex(_ message: KafkaMessage) -> Int {
    message.header("index")?.valueString.flatMap { Int($0) } ?? -1
}
