import Foundation
import Kafka
import TestSupport
import XCTest

/// Consumer groups against a real (mock) Kafka cluster: manual commits, what a later member sees,
/// how members split partitions.
final class ConsumerGroupTests: XCTestCase {
    func testOneMemberConsumesAllWithManualCommitsAndANewMemberThenReadsNothing() throws {
        let broker = try EmbeddedBroker(brokers: 3)
        let topic = TestEnvironment.uniqueName("images")
        let group = TestEnvironment.uniqueName("group")
        try broker.createTopic(topic, partitions: 4)
        try produce(broker.bootstrapServers, topic: topic, count: 1000, partitions: 4)

        let log = ConsumerLog()
        let first = try makeConsumer(broker.bootstrapServers, group: group, topic: topic, log: log)
        var received: [KafkaMessage] = []
        let complete = try pollUntil([first], timeout: 30) { _, batch in
            received += batch
            try first.commit(batch)
        } done: {
            received.count >= 1000
        }
        XCTAssertTrue(complete, "received \(received.count) of 1000; errors: \(log.errors)")
        XCTAssertEqual(received.count, 1000)

        let indices = received.map(producedIndex)
        XCTAssertEqual(Set(indices), Set(0..<1000), "every message exactly once")
        for message in received {
            let index = producedIndex(message)
            XCTAssertEqual(message.keyString, "m-key-\(index)")
            XCTAssertEqual(message.valueString, "m-value-\(index)")
            XCTAssertEqual(message.partition, Int32(index % 4))
            XCTAssertEqual(message.topic, topic)
            XCTAssertNotNil(message.timestamp)
        }
        let partitions = (0..<4).map { KafkaTopicPartition(topic: topic, partition: $0) }
        for partition in partitions {
            let offsets = received.filter { $0.partition == partition.partition }.map(\.offset)
            XCTAssertEqual(offsets, Array(0..<250), "partition \(partition) in order, no gaps")
        }
        let committed = try first.committed(partitions)
        for partition in partitions {
            XCTAssertEqual(committed[partition] ?? nil, 250, "committed = last processed + 1 for \(partition)")
            XCTAssertEqual(try first.watermarks(topic: topic, partition: partition.partition).high, 250)
        }
        try first.close()
        XCTAssertThrowsError(try first.poll(maxMessages: 1, timeout: 0)) { error in
            XCTAssertEqual((error as? KafkaError)?.name, "_STATE")
        }

        // A newcomer in the same group resumes from the committed offsets: nothing is left to read.
        let secondLog = ConsumerLog()
        let second = try makeConsumer(broker.bootstrapServers, group: group, topic: topic, log: secondLog)
        var late: [KafkaMessage] = []
        let assigned = try pollUntil([second], timeout: 20) { _, batch in
            late += batch
        } done: {
            try second.assignment().count == 4
        }
        XCTAssertTrue(assigned, "second member never got the partitions; errors: \(secondLog.errors)")
        _ = try pollUntil([second], timeout: 1.5) { _, batch in
            late += batch
        } done: {
            false
        }
        XCTAssertEqual(late.count, 0, "a new member re-read committed messages")
        try second.close()
    }

    func testTwoMembersSplitThePartitions() throws {
        let broker = try EmbeddedBroker(brokers: 2)
        let topic = TestEnvironment.uniqueName("images")
        let group = TestEnvironment.uniqueName("group")
        try broker.createTopic(topic, partitions: 4)

        let logs = [ConsumerLog(), ConsumerLog()]
        let members = try logs.map { try makeConsumer(broker.bootstrapServers, group: group, topic: topic, log: $0) }
        // Wait for a stable split before producing, so that every message has one owner.
        let split = try pollUntil(members, timeout: 25) {
            let assignments = try members.map { Set(try $0.assignment()) }
            return assignments.allSatisfy { !$0.isEmpty } && assignments[0].union(assignments[1]).count == 4
        }
        XCTAssertTrue(split, "no split; events: \(logs.map(\.events)) errors: \(logs.map(\.errors))")
        let assignments = try members.map { Set(try $0.assignment()) }
        XCTAssertTrue(assignments[0].isDisjoint(with: assignments[1]), "assignments overlap: \(assignments)")

        try produce(broker.bootstrapServers, topic: topic, count: 200, partitions: 4)
        var received: [[KafkaMessage]] = [[], []]
        let complete = try pollUntil(members, timeout: 20) { index, batch in
            received[index] += batch
            try members[index].commit(batch)
        } done: {
            received[0].count + received[1].count >= 200
        }
        XCTAssertTrue(complete, "received \(received.map(\.count)) of 200")
        for index in 0..<2 {
            XCTAssertFalse(received[index].isEmpty, "member \(index) got nothing")
            let foreign = received[index].filter { !assignments[index].contains($0.topicPartition) }
            XCTAssertTrue(foreign.isEmpty, "member \(index) got messages of partitions it does not own")
        }
        let all = (received[0] + received[1]).map(producedIndex)
        XCTAssertEqual(all.sorted(), Array(0..<200), "together, every message exactly once")
        for member in members { try member.close() }
    }
}
