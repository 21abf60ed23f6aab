import CRdKafka

/// librdkafka properties in the order they are applied (a later value for a key wins), passed
/// through untouched so that any property librdkafka knows (the CLI's `-X key=value`) can be set.
/// Keys and values are checked by librdkafka itself, and its error text is what a caller sees.
public struct KafkaConfiguration: Sendable, Equatable {
    public struct Property: Sendable, Equatable {
        public let key: String
        public let value: String
    }

    public private(set) var properties: [Property] = []

    public init(_ properties: [(String, String)] = []) {
        for (key, value) in properties { set(key, value) }
    }

    public init(bootstrapServers: String, _ properties: [(String, String)] = []) {
        self.init([("bootstrap.servers", bootstrapServers)] + properties)
    }

    /// The value that will be applied for `key`, if it was set.
    public subscript(key: String) -> String? {
        properties.last(where: { $0.key == key })?.value
    }

    /// Sets `key`, replacing an earlier value of the same key.
    public mutating func set(_ key: String, _ value: String) {
        properties.removeAll { $0.key == key }
        properties.append(Property(key: key, value: value))
    }

    /// This configuration with `other`'s properties applied on top.
    public func merging(_ other: KafkaConfiguration) -> KafkaConfiguration {
        var merged = self
        for property in other.properties { merged.set(property.key, property.value) }
        return merged
    }

    /// Throws the first property that librdkafka rejects (unknown key or invalid value).
    public func validate() throws {
        let conf = try makeNative()
        rd_kafka_conf_destroy(conf)
    }

    /// A new `rd_kafka_conf_t` holding these properties; the caller owns it.
    func makeNative() throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL, message: "rd_kafka_conf_new failed")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for property in properties {
            if property.key.isEmpty {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.invalidArgument("empty Kafka property name (value '\(property.value)')")
            }
            let result = rd_kafka_conf_set(conf, property.key, property.value, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.invalidArgument(String(cString: errorText))
            }
        }
        return conf
    }
}
