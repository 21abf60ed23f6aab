import CRdKafka
import Foundation

/// A member of a Kafka consumer group that reads batches and commits exactly what it is told.
///
/// Defaults (the caller's configuration can override them):
/// - `enable.auto.commit=false` and `enable.auto.offset.store=false`: nothing is committed behind
///   the caller's back; an offset is committed only once its work is durable elsewhere.
/// - `auto.offset.reset=earliest`: a new group starts at the beginning of the topic and loses no
///   message published before its first member joined.
/// - The partition assignment strategy stays librdkafka's default (`range,roundrobin`, the eager
///   protocol): every rebalance revokes each member's whole assignment, then assigns anew.
///   `cooperative-sticky` (only the partitions that move are revoked) can be chosen through the
///   configuration, and the rebalance handling follows it, but librdkafka 2.0.2 can hang in
///   `close` when a cooperative rebalance is in flight (librdkafka issues #4527 and #4041), which
///   would stall a worker's shutdown, so it is not the default.
///
/// Commit semantics: Kafka's committed offset is the *next* offset to read. `commit(_:)` takes the
/// messages the caller has processed and commits, per partition, the highest processed offset + 1;
/// `commit(lastProcessed:)` does the same for explicit positions. Only the partitions named are
/// committed; nothing else is touched.
///
/// Rebalances: the `onRebalance` handler runs inside `poll` or `close`, on the calling thread. With
/// the cooperative strategy its events are incremental (the partitions added or taken away). For
/// `.revoked` it runs before the partitions are given up, so it can commit the work done so far;
/// messages of revoked partitions that `poll` had collected but not yet returned are dropped (their
/// new owner reads them from the committed offset). Messages already returned to the caller but not
/// committed will be read again by the new owner: process idempotently. A commit from the revoke
/// handler can still fail: Apache Kafka accepts it while the group prepares a rebalance, but
/// librdkafka's mock cluster (`EmbeddedBroker`) answers `REBALANCE_IN_PROGRESS` during an eager
/// rebalance, and a member that lost its partitions (`lost: true`) is refused everywhere. The
/// commit then throws; the uncommitted messages are delivered again to the next owner. The revoke
/// that `close` performs happens in a stable group (unless a rebalance is under way), where the
/// commit is accepted.
///
/// Errors: client errors that librdkafka recovers from by itself (broker down, transport errors,
/// `max.poll.interval.ms` exceeded, unknown topic) go to `onError` (stderr when none is given) and
/// `poll` carries on; partition EOF is not an error. Fatal errors are thrown.
///
/// Thread safety: the methods are serialized by an internal (recursive) lock, so the consumer may
/// be used from several threads, but a call waits while another thread is inside `poll`. The usual
/// pattern is one thread that polls, processes and commits. Handlers may call `commit`,
/// `assignment` and `committed` on the consumer they are given.
public final class KafkaConsumer: @unchecked Sendable {
    public typealias RebalanceHandler = (KafkaConsumer, KafkaRebalanceEvent) -> Void

    private let handle: OpaquePointer
    private let events: ConsumerEvents
    private let eventsReference: Unmanaged<ConsumerEvents>
    private let lock = NSRecursiveLock()
    private var closed = false

    public let groupID: String
    public let topics: [String]

    /// The defaults applied before the caller's properties.
    public static let defaultProperties: [(String, String)] = [
        ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"), ("auto.offset.reset", "earliest"),
    ]

    /// Creates the consumer and subscribes it to `topics` as a member of `groupID`.
    ///
    /// - Parameters:
    ///   - onRebalance: called on each assignment change (see the type's documentation).
    ///   - onError: receives recoverable client errors; when `nil` they are written to stderr.
    public init(
        configuration: KafkaConfiguration, groupID: String, topics: [String],
        onRebalance: RebalanceHandler? = nil, onError: (@Sendable (KafkaError) -> Void)? = nil
    ) throws {
        guard let servers = configuration["bootstrap.servers"], !servers.isEmpty else {
            throw KafkaError.invalidArgument("Kafka consumer needs bootstrap.servers")
        }
        guard !groupID.isEmpty else { throw KafkaError.invalidArgument("consumer group id is empty") }
        guard !topics.isEmpty else { throw KafkaError.invalidArgument("consumer needs at least one topic") }
        for topic in topics { try TopicName.validate(topic) }
        self.groupID = groupID
        self.topics = topics

        var merged = KafkaConfiguration(Self.defaultProperties).merging(configuration)
        merged.set("group.id", groupID)
        let conf = try merged.makeNative()
        // librdkafka refuses a mix of eager and cooperative strategies, so one cooperative name means
        // the cooperative protocol. Knowing it here avoids rd_kafka_rebalance_protocol(), which can
        // hang when called from the rebalance callback during close (librdkafka #4041).
        let cooperative = (merged["partition.assignment.strategy"] ?? "").contains("cooperative")
        events = ConsumerEvents(
            errors: ClientErrors(clientName: "consumer \(groupID)", handler: onError), handler: onRebalance,
            cooperative: cooperative)
        eventsReference = Unmanaged.passRetained(events)
        rd_kafka_conf_set_opaque(conf, eventsReference.toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf, consumerRebalanceCallback)
        rd_kafka_conf_set_error_cb(conf, consumerErrorCallback)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            eventsReference.release()
            throw KafkaError.invalidArgument(String(cString: errorText))
        }
        self.handle = handle
        // Route client errors and rebalances through the consumer queue, so they are served by poll.
        rd_kafka_poll_set_consumer(handle)
        events.consumer = self

        let list = PartitionList.make(topics.map { ($0, RD_KAFKA_PARTITION_UA, Int64(RD_KAFKA_OFFSET_INVALID)) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_subscribe(handle, list)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            // Every stored property is set, so deinit runs and releases the handle.
            throw KafkaError(code: result, context: "subscribe to \(topics.joined(separator: ","))")
        }
    }

    deinit {
        if !closed {
            // No handler can run now (the consumer is going away), but the group is still left cleanly.
            events.consumer = nil
            rd_kafka_consumer_close(handle)
            rd_kafka_destroy(handle)
        }
        eventsReference.release()
    }

    /// Waits up to `timeout` seconds, collecting up to `maxMessages` messages; returns early only
    /// when `maxMessages` is reached. An empty result means nothing arrived in time.
    public func poll(maxMessages: Int, timeout: TimeInterval) throws -> [KafkaMessage] {
        guard maxMessages >= 1 else {
            throw KafkaError.invalidArgument("maxMessages must be >= 1 (got \(maxMessages))")
        }
        let total = try milliseconds(timeout, "poll timeout")
        return try locked {
            try ensureOpen()
            let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(total) * 1_000_000
            var batch: [KafkaMessage] = []
            events.revokedDuringPoll = []
            while batch.count < maxMessages {
                let now = DispatchTime.now().uptimeNanoseconds
                let remaining = now >= deadline ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
                let message = rd_kafka_consumer_poll(handle, remaining)
                if !events.revokedDuringPoll.isEmpty {
                    batch.removeAll { events.revokedDuringPoll.contains($0.topicPartition) }
                    events.revokedDuringPoll = []
                }
                if let message {
                    defer { rd_kafka_message_destroy(message) }
                    if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                        batch.append(NativeMessage.message(message))
                    } else if message.pointee.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                        events.errors.report(NativeMessage.error(of: message))
                    }
                }
                if let fatal = KafkaError.fatal(of: handle) { throw fatal }
                if remaining == 0 && message == nil { break }
            }
            return batch
        }
    }

    /// Synchronously commits, per partition, the highest offset among `messages` + 1: the caller
    /// passes the messages it has finished processing. Does nothing for an empty array.
    public func commit(_ messages: [KafkaMessage]) throws {
        try commit(
            lastProcessed: messages.map {
                KafkaPartitionOffset(topic: $0.topic, partition: $0.partition, offset: $0.offset)
            })
    }

    /// Synchronously commits `offset + 1` for each position (the offset of the last processed
    /// message in that partition); the highest wins when a partition appears more than once.
    public func commit(lastProcessed positions: [KafkaPartitionOffset]) throws {
        var next: [KafkaTopicPartition: Int64] = [:]
        for position in positions {
            guard position.offset >= 0, position.partition >= 0 else {
                throw KafkaError.invalidArgument("cannot commit invalid position \(position)")
            }
            try TopicName.validate(position.topic)
            next[position.topicPartition] = max(next[position.topicPartition] ?? 0, position.offset + 1)
        }
        guard !next.isEmpty else { return }
        try locked {
            try ensureOpen()
            let list = PartitionList.make(
                next.sorted { $0.key < $1.key }.map { ($0.key.topic, $0.key.partition, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let result = rd_kafka_commit(handle, list, 0)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: result, context: "commit of \(next.count) partition(s) for group \(groupID)")
            }
            if let error = PartitionList.firstError(list, context: "commit for group \(groupID) of") { throw error }
        }
    }

    /// The group's committed offsets (next offset to read) for `partitions`; `nil` where none is
    /// committed.
    public func committed(_ partitions: [KafkaTopicPartition], timeout: TimeInterval = 10) throws
        -> [KafkaTopicPartition: Int64?]
    {
        let milliseconds = try milliseconds(timeout, "committed timeout")
        return try locked {
            try ensureOpen()
            let list = PartitionList.make(partitions.map { ($0.topic, $0.partition, Int64(RD_KAFKA_OFFSET_INVALID)) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let result = rd_kafka_committed(handle, list, milliseconds)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: result, context: "fetch committed offsets for group \(groupID)")
            }
            if let error = PartitionList.firstError(list, context: "committed offset of") { throw error }
            var offsets: [KafkaTopicPartition: Int64?] = [:]
            for element in PartitionList.elements(list) {
                let partition = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
                offsets[partition] = element.offset >= 0 ? element.offset : nil
            }
            return offsets
        }
    }

    /// The partitions currently assigned to this member.
    public func assignment() throws -> [KafkaTopicPartition] {
        try locked {
            try ensureOpen()
            var list: PartitionList.Pointer?
            let result = rd_kafka_assignment(handle, &list)
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: result, context: "assignment") }
            return PartitionList.topicPartitions(list)
        }
    }

    /// The low (first available) and high (next to be written) offsets of a partition, asked of the
    /// broker; the difference between `high` and the committed offset is the group's lag.
    public func watermarks(topic: String, partition: Int32, timeout: TimeInterval = 10) throws -> (
        low: Int64, high: Int64
    ) {
        try TopicName.validate(topic)
        let milliseconds = try milliseconds(timeout, "watermarks timeout")
        return try locked {
            try ensureOpen()
            var low: Int64 = 0
            var high: Int64 = 0
            let result = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, milliseconds)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: result, context: "watermarks of \(topic)[\(partition)]")
            }
            return (low, high)
        }
    }

    /// The high watermark this consumer last learnt from its fetches, without asking the broker (a
    /// query waits behind the connection's pending long-poll fetch, up to `fetch.wait.max.ms`); nil
    /// while no fetch has reported it.
    public func cachedHighWatermark(topic: String, partition: Int32) throws -> Int64? {
        try TopicName.validate(topic)
        return try locked {
            try ensureOpen()
            var low: Int64 = 0
            var high: Int64 = 0
            let result = rd_kafka_get_watermark_offsets(handle, topic, partition, &low, &high)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
            return high
        }
    }

    /// Leaves the group: the rebalance handler gets `.revoked` for the current assignment (so it can
    /// commit), then the member departs at once instead of waiting for its session to time out.
    /// Further calls throw; a second `close` does nothing.
    public func close() throws {
        try locked {
            guard !closed else { return }
            // Still open while librdkafka runs the final revoke, so the handler can commit.
            let result = rd_kafka_consumer_close(handle)
            closed = true
            events.consumer = nil
            rd_kafka_destroy(handle)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: result, context: "close consumer of group \(groupID)")
            }
        }
    }

    private func ensureOpen() throws {
        if closed {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__STATE, context: "consumer of group \(groupID) is closed")
        }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

}
