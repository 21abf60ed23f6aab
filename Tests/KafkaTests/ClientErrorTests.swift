import Foundation
import Kafka
import TestSupport
import XCTest

/// Bad configuration is refused with librdkafka's words; a broker that goes away is reported, not
/// hidden, and the consumer keeps working.
final class ClientErrorTests: XCTestCase {
    func testInvalidPropertiesAreRejectedWithLibrdkafkasText() {
        XCTAssertThrowsError(try KafkaConfiguration([("no.such.property", "1")]).validate()) { error in
            XCTAssertTrue("\(error)".contains("No such configuration property: \"no.such.property\""), "\(error)")
            XCTAssertEqual((error as? KafkaError)?.name, "_INVALID_ARG")
        }
        XCTAssertThrowsError(try KafkaConfiguration([("session.timeout.ms", "soon")]).validate()) { error in
            XCTAssertTrue("\(error)".contains("session.timeout.ms"), "\(error)")
        }
        XCTAssertNoThrow(try KafkaConfiguration([("acks", "all"), ("debug", "broker")]).validate())
        // Idempotence is on by default, and librdkafka refuses a contradicting acks setting.
        XCTAssertThrowsError(
            try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1", [("acks", "1")]))
        ) { error in
            XCTAssertTrue("\(error)".contains("enable.idempotence"), "\(error)")
        }
        XCTAssertThrowsError(try KafkaProducer(configuration: KafkaConfiguration())) { error in
            XCTAssertTrue("\(error)".contains("bootstrap.servers"), "\(error)")
        }
    }

    func testLaterPropertiesWinAndOrderIsKept() {
        var configuration = KafkaConfiguration([("a.b", "1"), ("c.d", "2")])
        configuration.set("a.b", "3")
        XCTAssertEqual(configuration["a.b"], "3")
        XCTAssertEqual(configuration.properties.map(\.key), ["c.d", "a.b"])
        let merged = KafkaConfiguration([("x", "1"), ("y", "2")]).merging(KafkaConfiguration([("x", "9")]))
        XCTAssertEqual(merged["x"], "9")
        XCTAssertEqual(merged["y"], "2")
    }

    func testInputsAreCheckedBeforeLibrdkafka() throws {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
        XCTAssertThrowsError(try producer.send(topic: "", key: nil, value: "x"))
        XCTAssertThrowsError(try producer.send(topic: "bad topic", key: nil, value: "x"))
        XCTAssertThrowsError(try producer.send(topic: "t", partition: -2, key: nil, value: "x"))
        XCTAssertThrowsError(try producer.flush(timeout: -1))
        XCTAssertThrowsError(
            try KafkaConsumer(
                configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"), groupID: "", topics: ["t"]))
        XCTAssertThrowsError(
            try KafkaConsumer(
                configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"), groupID: "g", topics: []))
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"), groupID: "g", topics: ["t"],
            onError: { _ in })
        XCTAssertThrowsError(try consumer.poll(maxMessages: 0, timeout: 1))
        XCTAssertThrowsError(
            try consumer.commit(lastProcessed: [KafkaPartitionOffset(topic: "t", partition: 0, offset: -1)]))
        XCTAssertNoThrow(try consumer.commit([]), "an empty commit is a no-op, not a commit of everything")
        XCTAssertThrowsError(try EmbeddedBroker(brokers: 0))
        let broker = try EmbeddedBroker(brokers: 1)
        XCTAssertThrowsError(try broker.createTopic("t", partitions: 0))
        XCTAssertThrowsError(try broker.createTopic("t", partitions: 1, replicationFactor: 2))
        try broker.createTopic("t", partitions: 2)
        XCTAssertThrowsError(try broker.createTopic("t", partitions: 2)) { error in
            XCTAssertEqual((error as? KafkaError)?.name, "TOPIC_ALREADY_EXISTS", "\(error)")
        }
        broker.shutdown()
        XCTAssertThrowsError(try broker.createTopic("t", partitions: 1)) { error in
            XCTAssertEqual((error as? KafkaError)?.name, "_STATE")
        }
    }

    func testBrokerOutageIsReportedAndTheConsumerCarriesOnAfterwards() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let topic = TestEnvironment.uniqueName("images")
        try broker.createTopic(topic, partitions: 1)
        try produce(broker.bootstrapServers, topic: topic, count: 10, partitions: 1, prefix: "before")
        let log = ConsumerLog()
        let consumer = try makeConsumer(
            broker.bootstrapServers, group: TestEnvironment.uniqueName("g"), topic: topic, log: log)
        var received: [KafkaMessage] = []
        _ = try pollUntil([consumer], timeout: 20) { _, batch in
            received += batch
            try consumer.commit(batch)
        } done: {
            received.count >= 10
        }
        XCTAssertEqual(received.count, 10, "errors: \(log.errors)")

        try broker.setBrokerDown(1)
        let reported = try pollUntil([consumer], timeout: 15) {
            log.errors.contains { $0.name == "_TRANSPORT" || $0.name == "_ALL_BROKERS_DOWN" }
        }
        XCTAssertTrue(reported, "outage not reported: \(log.errors)")
        XCTAssertFalse(log.errors.contains(where: \.isFatal))

        try broker.setBrokerUp(1)
        try produce(broker.bootstrapServers, topic: topic, count: 5, partitions: 1, prefix: "after")
        _ = try pollUntil([consumer], timeout: 20) { _, batch in
            received += batch
            try consumer.commit(batch)
        } done: {
            received.count >= 15
        }
        XCTAssertEqual(received.map(\.offset), Array(0..<15), "the same member resumes where it was")
        try consumer.close()
    }

    func testConsumerReportsABrokerThatIsDownAndPollKeepsItsTimeLimit() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let bootstrap = broker.bootstrapServers
        broker.shutdown()
        let log = ConsumerLog()
        let consumer = try makeConsumer(
            bootstrap, group: TestEnvironment.uniqueName("g"), topic: "recame.images", log: log)
        let started = Date()
        var polled: [KafkaMessage] = []
        let reported = try pollUntil([consumer], timeout: 10, slice: 0.5) { _, batch in
            polled += batch
        } done: {
            !log.errors.isEmpty
        }
        XCTAssertTrue(reported, "no error reported for a broker that is down")
        XCTAssertTrue(
            log.errors.contains { ["_TRANSPORT", "_ALL_BROKERS_DOWN"].contains($0.name) }, "\(log.errors)")
        XCTAssertTrue(polled.isEmpty)

        let before = Date()
        XCTAssertEqual(try consumer.poll(maxMessages: 10, timeout: 0.4).count, 0)
        let waited = Date().timeIntervalSince(before)
        XCTAssertGreaterThan(waited, 0.35)
        XCTAssertLessThan(waited, 2.0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        try consumer.close()
        try consumer.close()
    }
}
