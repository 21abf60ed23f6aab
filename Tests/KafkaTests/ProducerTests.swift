import Foundation
import Kafka
import TestSupport
import XCTest

/// Delivery reports reach the caller; backpressure waits instead of failing.
final class ProducerTests: XCTestCase {
    func testFailedDeliveryIsReportedByFlushWithTheCallersIdentifier() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let topic = TestEnvironment.uniqueName("images")
        try broker.createTopic(topic, partitions: 4)
        let producer = try KafkaProducer(configuration: fastProducerConfiguration(broker.bootstrapServers))
        for id in 1...5 as ClosedRange<UInt64> {
            try producer.send(topic: topic, partition: Int32(id % 4), key: "k\(id)", value: "v\(id)", id: id)
        }
        try producer.send(topic: topic, partition: 99, key: "k42", value: "to nowhere", id: 42)
        XCTAssertThrowsError(try producer.flush(timeout: 20)) { error in
            guard let delivery = error as? KafkaDeliveryError else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(delivery.failures.map(\.id), [42])
            XCTAssertEqual(delivery.failures.first?.error.name, "_UNKNOWN_PARTITION")
            XCTAssertEqual(delivery.failures.first?.topic, topic)
            XCTAssertEqual(delivery.failures.first?.partition, 99)
            XCTAssertEqual(delivery.delivered, 5)
            XCTAssertEqual(delivery.undelivered, 0)
            XCTAssertTrue(delivery.description.contains("message 42"), delivery.description)
        }
        // The failure was handed over once; the next flush starts clean.
        try producer.send(topic: topic, key: "k6", value: "v6", id: 6)
        XCTAssertEqual(try producer.flush(timeout: 20), 1)
    }

    func testOversizedMessageIsRefusedAtSend() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let topic = TestEnvironment.uniqueName("images")
        try broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(
            configuration: fastProducerConfiguration(broker.bootstrapServers, [("message.max.bytes", "1000")]))
        XCTAssertThrowsError(
            try producer.send(topic: topic, key: [1], value: [UInt8](repeating: 7, count: 5000), id: 9)
        ) { error in
            XCTAssertEqual((error as? KafkaError)?.name, "MSG_SIZE_TOO_LARGE", "\(error)")
        }
        XCTAssertEqual(try producer.flush(timeout: 5), 0)
    }

    func testFullLocalQueueMakesSendWaitNotFail() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let topic = TestEnvironment.uniqueName("images")
        try broker.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(
            configuration: fastProducerConfiguration(
                broker.bootstrapServers, [("queue.buffering.max.messages", "5"), ("linger.ms", "1")]))
        for index in 0..<300 {
            try producer.send(topic: topic, key: "k\(index)", value: "v\(index)", id: UInt64(index))
            XCTAssertLessThanOrEqual(producer.outstandingCount, 5 + 1)
        }
        XCTAssertEqual(try producer.flush(timeout: 20), 300)
    }

    func testNullAndEmptyKeysValuesAndHeadersStayDistinct() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let topic = TestEnvironment.uniqueName("images")
        try broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: fastProducerConfiguration(broker.bootstrapServers))
        let headers = [
            KafkaHeader(name: "a", value: nil), KafkaHeader(name: "b", value: []),
            KafkaHeader(name: "a", value: [0, 255]),
        ]
        try producer.send(topic: topic, key: nil, value: nil, headers: headers, id: 1)
        try producer.send(topic: topic, key: [], value: [], id: 2)
        XCTAssertEqual(try producer.flush(timeout: 20), 2)

        let log = ConsumerLog()
        let consumer = try makeConsumer(
            broker.bootstrapServers, group: TestEnvironment.uniqueName("g"), topic: topic, log: log)
        var received: [KafkaMessage] = []
        _ = try pollUntil([consumer], timeout: 20) { _, batch in
            received += batch
        } done: {
            received.count >= 2
        }
        XCTAssertEqual(received.count, 2, "errors: \(log.errors)")
        if received.count == 2 {
            XCTAssertNil(received[0].key)
            XCTAssertNil(received[0].value)
            XCTAssertEqual(received[0].headers, headers)
            XCTAssertEqual(received[0].header("a")?.value, [0, 255])
            XCTAssertEqual(received[1].key, [])
            XCTAssertEqual(received[1].value, [])
            XCTAssertEqual(received[1].headers, [])
        }
        try consumer.close()
    }
}
