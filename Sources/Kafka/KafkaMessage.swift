import Foundation

/// One record header; names may repeat and order is kept, as on the wire.
public struct KafkaHeader: Sendable, Equatable {
    public let name: String
    /// `nil` is a null header value, distinct from an empty one.
    public let value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(name: String, value: String) {
        self.init(name: name, value: Array(value.utf8))
    }

    /// The value as UTF-8 text, if there is a value and it is valid UTF-8.
    public var valueString: String? { value.flatMap { String(validating: $0, as: UTF8.self) } }
}

/// A record received by a `KafkaConsumer`, copied out of librdkafka's buffers.
public struct KafkaMessage: Sendable, Equatable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]?
    /// `nil` for a tombstone (null value).
    public let value: [UInt8]?
    public let headers: [KafkaHeader]
    /// Create time or log-append time, whichever the topic records; `nil` when the broker sent none.
    public let timestamp: Date?

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
        headers: [KafkaHeader] = [], timestamp: Date? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    /// The key as UTF-8 text, if there is a key and it is valid UTF-8.
    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }

    /// The value as UTF-8 text, if there is a value and it is valid UTF-8.
    public var valueString: String? { value.flatMap { String(validating: $0, as: UTF8.self) } }

    /// The last header called `name` (Kafka allows repeats; the last one is the usual "current" one).
    public func header(_ name: String) -> KafkaHeader? { headers.last { $0.name == name } }
}
