import Foundation
import Kafka
import TestSupport
import XCTest

/// The revoke handler runs while the partitions are still assigned, a commit made there sticks, and
/// messages of partitions revoked during a poll are not handed out.
final class RebalanceTests: XCTestCase {
    func testRevokeComesBeforeThePartitionsGoAndACommitInItSticks() throws {
        let broker = try EmbeddedBroker(brokers: 1)
        let topic = TestEnvironment.uniqueName("images")
        let group = TestEnvironment.uniqueName("group")
        try broker.createTopic(topic, partitions: 2)
        try produce(broker.bootstrapServers, topic: topic, count: 100, partitions: 2)
        let partitions = [0, 1].map { KafkaTopicPartition(topic: topic, partition: $0) }

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
        let consumedAll = try pollUntil([first]) { _, batch in
            processed += batch
        } done: {
            processed.count >= 100
        }
        XCTAssertTrue(consumedAll, "consumed \(processed.count) of 100; errors: \(firstLog.errors)")
        XCTAssertEqual(try first.committed(partitions).values.compactMap { $0 }, [], "nothing committed yet")

        // A second member joining forces a rebalance that revokes the first member's partitions.
        let secondLog = ConsumerLog()
        let second = try makeConsumer(broker.bootstrapServers, group: group, topic: topic, log: secondLog)
        let rebalanced = try pollUntil([first, second]) {
            try !first.assignment().isEmpty && !second.assignment().isEmpty
        }
        XCTAssertTrue(rebalanced, "no rebalance; events: \(firstLog.events), \(secondLog.events)")
        XCTAssertEqual(firstLog.events.first, .assigned(partitions))
        XCTAssertEqual(firstLog.events.dropFirst().first, .revoked(partitions, lost: false))
        XCTAssertEqual(assignmentDuringRevoke.first, partitions, "the handler ran after the partitions were gone")
        // Apache Kafka takes this commit; the mock cluster refuses commits while an eager
        // rebalance is joining, and the refusal must reach the caller rather than vanish.
        XCTAssertTrue(
            revokeCommitErrors.allSatisfy { ($0 as? KafkaError)?.name == "REBALANCE_IN_PROGRESS" },
            "\(revokeCommitErrors)")
        let kept = try first.assignment()
        XCTAssertEqual(Set(kept).union(try second.assignment()), Set(partitions))
        XCTAssertTrue(Set(kept).isDisjoint(with: try second.assignment()))

        // Leaving the group revokes too, in a stable group: this commit must stick, so the member
        // that inherits the partition reads nothing of it again.
        revokeCommitErrors = []
        let eventsBeforeClose = firstLog.events.count
        try first.close()
        XCTAssertEqual(firstLog.events.dropFirst(eventsBeforeClose).first, .revoked(kept, lost: false))
        XCTAssertEqual(assignmentDuringRevoke.last, kept)
        XCTAssertTrue(revokeCommitErrors.isEmpty, "commit in the closing revoke failed: \(revokeCommitErrors)")
        let committed = try second.committed(kept)
        for partition in kept { XCTAssertEqual(committed[partition] ?? nil, 50, "\(partition)") }

        var inherited: [KafkaMessage] = []
        let tookOver = try pollUntil([second]) { _, batch in
            inherited += batch.filter { kept.contains($0.topicPartition) }
        } done: {
            try second.assignment() == partitions
        }
        XCTAssertTrue(tookOver, "the second member never took over; events: \(secondLog.events)")
        _ = try pollUntil([second], timeout: 1) { _, batch in
            inherited += batch.filter { kept.contains($0.topicPartition) }
        } done: {
            false
        }
        XCTAssertEqual(inherited.count, 0, "messages committed in the revoke handler were delivered again")
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
        // both partitions; the rebalance revokes them inside that poll.
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
        let firstBatch = try first.poll(maxMessages: 1000, timeout: 5)
        XCTAssertEqual(secondDone.wait(timeout: .now() + 25), .success)

        XCTAssertEqual(firstLog.events.dropFirst().first, .revoked(partitions, lost: false), "no revoke in the poll")
        let kept = Set(try first.assignment())
        XCTAssertEqual(kept.count, 1)
        // Without dropping, the batch would hold everything fetched before the revoke plus the kept
        // partition fetched again after the new assignment.
        XCTAssertTrue(firstBatch.allSatisfy { kept.contains($0.topicPartition) }, "returned revoked messages")
        XCTAssertEqual(firstBatch.map(\.offset), Array(0..<20), "the kept partition's messages, each once")
        XCTAssertTrue(secondReceived.messages.allSatisfy { !kept.contains($0.topicPartition) })
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
