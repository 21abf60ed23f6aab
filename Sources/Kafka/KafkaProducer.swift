import CRdKafka
import Foundation

/// Sends records to Kafka and reports, per message, which ones librdkafka could not deliver.
///
/// `send` only queues a message; delivery results arrive asynchronously and are collected (each
/// `send` serves the reports that are ready, `flush` waits for the rest). `flush` is where a caller
/// learns the outcome: it returns the number delivered, or throws `KafkaDeliveryError` naming the
/// failed messages by the identifiers the caller gave to `send`.
///
/// Defaults (overridable through the configuration): `enable.idempotence=true`. Idempotence makes
/// librdkafka's internal retries safe (no duplicates, no reordering within a partition) at almost no
/// cost, and implies `acks=all`, so an acknowledged image reference survives a broker failure. The
/// price is that some broker-side sequence errors become fatal; those are surfaced as fatal
/// `KafkaError`s from `send` and `flush`, after which the producer must be recreated.
///
/// Thread safety: all methods may be called from any thread, concurrently.
public final class KafkaProducer: @unchecked Sendable {
    private let handle: OpaquePointer
    private let events: ProducerEvents
    private let eventsReference: Unmanaged<ProducerEvents>

    /// The defaults applied before the caller's properties.
    public static let defaultProperties: [(String, String)] = [("enable.idempotence", "true")]

    /// - Parameter onError: receives client-level errors (broker unreachable and the like), on the
    ///   thread that calls `send` or `flush`; when `nil` they are written to stderr.
    public init(configuration: KafkaConfiguration, onError: (@Sendable (KafkaError) -> Void)? = nil) throws {
        guard let servers = configuration["bootstrap.servers"], !servers.isEmpty else {
            throw KafkaError.invalidArgument("Kafka producer needs bootstrap.servers")
        }
        let conf = try KafkaConfiguration(Self.defaultProperties).merging(configuration).makeNative()
        events = ProducerEvents(errors: ClientErrors(clientName: "producer", handler: onError))
        eventsReference = Unmanaged.passRetained(events)
        rd_kafka_conf_set_opaque(conf, eventsReference.toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf, producerDeliveryCallback)
        rd_kafka_conf_set_error_cb(conf, producerErrorCallback)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            eventsReference.release()
            throw KafkaError.invalidArgument(String(cString: errorText))
        }
        self.handle = handle
    }

    deinit {
        // Messages still queued are dropped: callers that care call `flush` first.
        rd_kafka_destroy(handle)
        eventsReference.release()
    }

    /// Queues one record. When librdkafka's local queue is full this waits (serving delivery
    /// reports) until there is room, rather than failing.
    ///
    /// - Parameters:
    ///   - partition: `nil` lets the partitioner choose from the key.
    ///   - id: an opaque identifier reported back in `KafkaDeliveryFailure` if delivery fails.
    /// - Throws: `KafkaError` for a message librdkafka refuses outright (too large, unknown topic
    ///   in the local metadata, fatal producer state).
    public func send(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = [],
        id: UInt64 = 0
    ) throws {
        try TopicName.validate(topic)
        if let partition, partition < 0 {
            throw KafkaError.invalidArgument("partition must be >= 0 (got \(partition)) for topic \(topic)")
        }
        while true {
            if let fatal = KafkaError.fatal(of: handle) { throw fatal }
            guard let error = produce(topic, partition ?? RD_KAFKA_PARTITION_UA, key, value, headers, id) else {
                rd_kafka_poll(handle, 0)
                return
            }
            if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_error_destroy(error)
                rd_kafka_poll(handle, 100)
                continue
            }
            throw KafkaError(consuming: error, context: "produce to \(topic)")
        }
    }

    /// `send` with UTF-8 text key and value.
    public func send(
        topic: String, partition: Int32? = nil, key: String?, value: String, headers: [KafkaHeader] = [],
        id: UInt64 = 0
    ) throws {
        try send(
            topic: topic, partition: partition, key: key.map { Array($0.utf8) }, value: Array(value.utf8),
            headers: headers, id: id)
    }

    /// Waits up to `timeout` seconds for every queued message to be delivered or to fail.
    ///
    /// - Returns: how many messages were delivered since the previous `flush`.
    /// - Throws: `KafkaDeliveryError` if any message failed since the previous `flush` or some are
    ///   still in flight at the time limit; a fatal `KafkaError` if the producer is unusable.
    @discardableResult
    public func flush(timeout: TimeInterval) throws -> Int {
        let milliseconds = try milliseconds(timeout, "flush timeout")
        rd_kafka_flush(handle, milliseconds)
        rd_kafka_poll(handle, 0)
        let outstanding = Int(rd_kafka_outq_len(handle))
        let (delivered, failures) = events.takeResults()
        if let fatal = KafkaError.fatal(of: handle), failures.isEmpty { throw fatal }
        if !failures.isEmpty || outstanding > 0 {
            throw KafkaDeliveryError(failures: failures, undelivered: outstanding, delivered: delivered)
        }
        return delivered
    }

    /// Messages queued or in flight (including delivery reports not yet collected).
    public var outstandingCount: Int { Int(rd_kafka_outq_len(handle)) }

    private func produce(
        _ topic: String, _ partition: Int32, _ key: [UInt8]?, _ value: [UInt8]?, _ headers: [KafkaHeader],
        _ id: UInt64
    ) -> OpaquePointer? {
        // Headers are handed over as one rd_kafka_headers_t (copied in), which the message owns
        // once produce succeeds and we must destroy when it does not.
        var nativeHeaders: OpaquePointer?
        if !headers.isEmpty {
            nativeHeaders = rd_kafka_headers_new(headers.count)
            for header in headers {
                if let value = header.value {
                    value.withUnsafeBytes { bytes in
                        _ = rd_kafka_header_add(nativeHeaders, header.name, -1, bytes.baseAddress, bytes.count)
                    }
                } else {
                    rd_kafka_header_add(nativeHeaders, header.name, -1, nil, 0)
                }
            }
        }
        let error = topic.withCString { topicName in
            withOptionalBytes(key) { keyBytes in
                withOptionalBytes(value) { valueBytes in
                    var fields = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 7)
                    fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    fields[0].u.cstr = topicName
                    fields[1].vtype = RD_KAFKA_VTYPE_PARTITION
                    fields[1].u.i32 = partition
                    fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    fields[2].u.i = RD_KAFKA_MSG_F_COPY
                    fields[3].vtype = RD_KAFKA_VTYPE_OPAQUE
                    fields[3].u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(id))
                    var count = 4
                    if let valueBytes {
                        fields[count].vtype = RD_KAFKA_VTYPE_VALUE
                        fields[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                        fields[count].u.mem.size = valueBytes.count
                        count += 1
                    }
                    if let keyBytes {
                        fields[count].vtype = RD_KAFKA_VTYPE_KEY
                        fields[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                        fields[count].u.mem.size = keyBytes.count
                        count += 1
                    }
                    if let nativeHeaders {
                        fields[count].vtype = RD_KAFKA_VTYPE_HEADERS
                        fields[count].u.headers = nativeHeaders
                        count += 1
                    }
                    return rd_kafka_produceva(handle, fields, count)
                }
            }
        }
        if error != nil, let nativeHeaders { rd_kafka_headers_destroy(nativeHeaders) }
        return error
    }
}

/// Calls `body` with the bytes of `array`, or with `nil` when there is no array (a null key or value
/// must stay distinct from an empty one). An empty array gets a valid, non-nil pointer.
private func withOptionalBytes<R>(_ array: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let array else { return body(nil) }
    if array.isEmpty {
        var zero: UInt8 = 0
        return withUnsafeBytes(of: &zero) { body(UnsafeRawBufferPointer(rebasing: $0[0..<0])) }
    }
    return array.withUnsafeBytes { body($0) }
}
