import CRdKafka
import Foundation

/// An in-process Kafka cluster (librdkafka's mock cluster) listening on 127.0.0.1, for tests, the
/// demo and `recame broker`. It speaks the Kafka protocol, so any client (this module, `kcat`, other
/// processes) can use it through `bootstrapServers`. Data lives in memory and is gone after
/// `shutdown`.
///
/// The mock would auto-create unknown topics with its own default partition count, so callers create
/// the topics they need with `createTopic` and the partition count they want.
///
/// Thread safety: all methods may be called from any thread.
public final class EmbeddedBroker: @unchecked Sendable {
    /// `HOST:PORT[,HOST:PORT…]` of the brokers.
    public let bootstrapServers: String
    public let brokerCount: Int

    private let lock = NSLock()
    // The mock cluster lives on a dedicated producer handle that nothing else uses.
    private var handle: OpaquePointer?
    private var cluster: OpaquePointer?

    /// Starts `brokers` brokers (ids 1…N). `configuration` goes to the handle that hosts the cluster
    /// (for example `debug=mock` or `log_level`).
    public init(brokers: Int = 3, configuration: KafkaConfiguration = KafkaConfiguration()) throws {
        guard (1...64).contains(brokers) else {
            throw KafkaError.invalidArgument("embedded broker count must be in 1...64 (got \(brokers))")
        }
        // The host handle never connects anywhere, so librdkafka's notice that it has no bootstrap
        // servers is noise: log warnings and worse unless the caller asks for more.
        let hostConfiguration = KafkaConfiguration([("client.id", "recame-embedded-broker"), ("log_level", "4")])
            .merging(configuration)
        let conf = try hostConfiguration.makeNative()
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError.invalidArgument(String(cString: errorText))
        }
        guard let cluster = rd_kafka_mock_cluster_new(handle, Int32(brokers)) else {
            rd_kafka_destroy(handle)
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL, message: "could not start the mock Kafka cluster")
        }
        self.handle = handle
        self.cluster = cluster
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit { shutdown() }

    /// Creates `name` with `partitions` partitions, each replicated on `replicationFactor` brokers.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        try TopicName.validate(name)
        guard (1...100_000).contains(partitions) else {
            throw KafkaError.invalidArgument(
                "partition count of topic \(name) must be in 1...100000 (got \(partitions))")
        }
        guard (1...brokerCount).contains(replicationFactor) else {
            throw KafkaError.invalidArgument(
                "replication factor of topic \(name) must be in 1...\(brokerCount) (got \(replicationFactor))")
        }
        try withCluster { cluster in
            let result = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
            if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: result, context: "create topic \(name)") }
        }
    }

    /// Takes broker `id` (1…N) off the network, to exercise clients' recovery; `setBrokerUp` restores it.
    public func setBrokerDown(_ id: Int32) throws {
        try checkBroker(id)
        try withCluster { cluster in
            let result = rd_kafka_mock_broker_set_down(cluster, id)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: result, context: "set broker \(id) down") }
        }
    }

    public func setBrokerUp(_ id: Int32) throws {
        try checkBroker(id)
        try withCluster { cluster in
            let result = rd_kafka_mock_broker_set_up(cluster, id)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: result, context: "set broker \(id) up") }
        }
    }

    /// Stops the brokers and frees the cluster; connected clients see their connections drop.
    /// Safe to call more than once.
    public func shutdown() {
        lock.withLock {
            if let cluster { rd_kafka_mock_cluster_destroy(cluster) }
            if let handle { rd_kafka_destroy(handle) }
            cluster = nil
            handle = nil
        }
    }

    private func checkBroker(_ id: Int32) throws {
        guard (1...Int32(brokerCount)).contains(id) else {
            throw KafkaError.invalidArgument("broker id must be in 1...\(brokerCount) (got \(id))")
        }
    }

    private func withCluster(_ body: (OpaquePointer) throws -> Void) throws {
        try lock.withLock {
            guard let cluster else {
                throw KafkaError(code: RD_KAFKA_RESP_ERR__STATE, message: "the embedded broker has been shut down")
            }
            try body(cluster)
        }
    }
}
