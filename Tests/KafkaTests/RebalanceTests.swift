import Foundation
import Kafka
import TestSupport
import XCTest

/// The revoke handler runs while the partitions are still assigned, and what it commits sticks.
final class RebalanceTests: XCTestCase {
    func testCommitInsideTheRevokeHandlerSticks() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let topic = TestEnvironment.uniqueName("images")
        let group = TestEnvironment.uniqueName("group")
        try broker.createTopic(topic, partitions: 2)
        try produce(broker.bootstrapServers, topic: topic, count: 100, partitions: 2)

        var processed: [KafkaMessage] = []
        var assignmentDuringRevoke: [[KafkaTopicPartition]] = []
        var revokeCommitErrors: [Error] = []
        let firstLog = ConsumerLog()
        let first = try makeConsumer(broker.bootstrapServers, group: group, topic: topic, log: firstLog) {
            consumer, _ in
            // "Commit what is done" before the partitions go; this member never commits elsewhere.
            assignmentDuringRevoke.append((try? consumer.assignment()) ?? [])
            do { try consumer.commit(processed) } catch { revokeCommitErrors.append(error) }
        }
        let consumedAll = try pollUntil([first], timeout: 20) { _, batch in
            processed += batch
        } done: {
            processed.count >= 100
        }
        XCTAssertTrue(consumedAll, "consumed \(processed.count) of 100; errors: \(firstLog.errors)")
        let partitions = [0, 1].map { KafkaTopicPartition(topic: topic, partition: $0) }
        XCTAssertEqual(try first.committed(partitions).values.compactMap { $0 }, [], "nothing committed yet")

        // A second member joining forces a rebalance: the first member's partitions are revoked.
        let secondLog = ConsumerLog()
        let second = try makeConsumer(broker.bootstrapServers, group: group, topic: topic, log: secondLog)
        var lateMessages: [KafkaMessage] = []
        let rebalanced = try pollUntil([first, second], timeout: 25) { index, batch in
            if index == 1 { lateMessages += batch }
        } done: {
            try !first.assignment().isEmpty && !second.assignment().isEmpty
        }
        XCTAssertTrue(rebalanced, "no rebalance; events: \(firstLog.events), \(secondLog.events)")
        XCTAssertEqual(firstLog.events.first, .assigned(partitions))
        // Cooperative rebalancing takes away only what moves to the newcomer, while it is still held.
        guard case .revoked(let revoked, let lost)? = firstLog.events.dropFirst().first else {
            return XCTFail("no revoke after the first assignment: \(firstLog.events)")
        }
        XCTAssertFalse(lost)
        XCTAssertFalse(revoked.isEmpty)
        XCTAssertTrue(
            Set(revoked).isSubset(of: assignmentDuringRevoke.first ?? []),
            "handler ran after the partitions were gone: \(assignmentDuringRevoke)")
        XCTAssertTrue(revokeCommitErrors.isEmpty, "commit in revoke failed: \(revokeCommitErrors)")
        let owners = try [first.assignment(), second.assignment()].map(Set.init)
        XCTAssertTrue(owners[0].isDisjoint(with: owners[1]))
        XCTAssertEqual(owners[0].union(owners[1]), Set(partitions))
        XCTAssertEqual(owners[1], Set(revoked), "the newcomer owns exactly what was revoked")

        let committed = try second.committed(partitions)
        for partition in partitions { XCTAssertEqual(committed[partition] ?? nil, 50, "\(partition)") }
        // The newcomer starts after what the revoke handler committed: nothing to read.
        _ = try pollUntil([first, second], timeout: 1.5) { index, batch in
            if index == 1 { lateMessages += batch }
        } done: {
            false
        }
        XCTAssertEqual(lateMessages.count, 0, "messages committed in the revoke handler were delivered again")
        // Leaving the group is a revoke too: the handler sees what the first member still holds.
        let eventsBeforeClose = firstLog.events.count
        try first.close()
        XCTAssertEqual(firstLog.events.dropFirst(eventsBeforeClose).first, .revoked(owners[0].sorted(), lost: false))
        XCTAssertTrue(revokeCommitErrors.isEmpty, "commit in the closing revoke failed: \(revokeCommitErrors)")
        try second.close()
    }

    func testMessagesOfPartitionsRevokedDuringAPollAreNotReturned() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let topic = TestEnvironment.uniqueName("images")
        let group = TestEnvironment.uniqueName("group")
        try broker.createTopic(topic, partitions: 2)
        let partitions = [0, 1].map { KafkaTopicPartition(topic: topic, partition: $0) }
        let firstLog = ConsumerLog()
        let first = try makeConsumer(broker.bootstrapServers, group: group, topic: topic, log: firstLog)
        let assigned = try pollUntil([first]) { try first.assignment() == partitions }
        XCTAssertTrue(assigned, "first member never got both partitions: \(firstLog.errors)")
        try produce(broker.bootstrapServers, topic: topic, count: 40, partitions: 2)

        // The newcomer joins while the first member sits in one long poll that has already fetched
        // both partitions; the partition that moves is revoked inside that poll.
        let secondLog = ConsumerLog()
        let second = try makeConsumer(broker.bootstrapServers, group: group, topic: topic, log: secondLog)
        let secondReceived = MessageBox()
        let secondDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline && secondReceived.count < 20 {
                if let batch = try? second.poll(maxMessages: 100, timeout: 0.1) { secondReceived.append(batch) }
            }
            secondDone.signal()
        }
        let firstBatch = try first.poll(maxMessages: 1000, timeout: 6)
        XCTAssertEqual(secondDone.wait(timeout: .now() + 25), .success)

        guard case .revoked(let revoked, _)? = firstLog.events.dropFirst().first else {
            return XCTFail("no revoke during the long poll: \(firstLog.events)")
        }
        let kept = Set(partitions).subtracting(revoked)
        XCTAssertFalse(kept.isEmpty)
        XCTAssertTrue(
            firstBatch.allSatisfy { kept.contains($0.topicPartition) }, "returned messages of revoked partitions")
        XCTAssertEqual(firstBatch.count, 20, "the kept partition's messages, each once")
        XCTAssertTrue(secondReceived.messages.allSatisfy { Set(revoked).contains($0.topicPartition) })
        XCTAssertEqual(secondReceived.messages.map(\.offset).sorted(), Array(0..<20), "errors: \(secondLog.errors)")
        try first.close()
        try second.close()
    }
}

/// Messages gathered on another thread.
private final class MessageBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [KafkaMessage] = []
    var messages: [KafkaMessage] { lock.withLock { stored } }
    var count: Int { lock.withLock { stored.count } }
    func append(_ batch: [KafkaMessage]) { lock.withLock { stored += batch } }
}
