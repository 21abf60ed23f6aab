import Foundation
import Kafka
import TestSupport
import XCTest

/// `recame broker` as a separate process, used by a separate `kcat` process and by this module's
/// consumer: the contract that local stacks and scripts rely on.
final class BrokerCommandTests: XCTestCase {
    private var recame: String {
        get throws {
            let binary = TestEnvironment.recameBinary
            guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                throw MissingProgram(
                    description: "the recame executable is not built at \(binary.path): run `swift build --build-tests`"
                )
            }
            return binary.path
        }
    }

    func testKcatProducesToRecameBrokerAndTheConsumerReceivesKeyValueAndHeader() throws {
        let kcat = "/usr/bin/kcat"
        guard FileManager.default.isExecutableFile(atPath: kcat) else {
            throw MissingProgram(description: "\(kcat) is not installed (pipeline/setup installs it)")
        }
        let topic = TestEnvironment.uniqueName("wafers")
        let broker = ChildProcess(try recame, ["broker", "--brokers", "2", "--partitions", "3", "--topic", topic])
        try broker.start()
        defer { if broker.process.isRunning { broker.signal(SIGKILL) } }
        let firstLine = try broker.waitForLine(timeout: 20) { !$0.isEmpty }
        XCTAssertTrue(firstLine.hasPrefix("bootstrap="), "first stdout line was '\(firstLine)'")
        let bootstrap = String(firstLine.dropFirst("bootstrap=".count))
        let servers = bootstrap.split(separator: ",")
        XCTAssertEqual(servers.count, 2, "one HOST:PORT per broker: \(bootstrap)")
        for server in servers { XCTAssertNotNil(server.split(separator: ":").last.flatMap { Int($0) }, "\(server)") }

        let payload = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("kcat"))
        let value = #"{"batch_id":"b1","wafer_id":"W-7","image_id":"i-1","uri":"/data/i-1.png"}"#
        try Data(value.utf8).write(to: payload)
        defer { try? FileManager.default.removeItem(at: payload) }
        let produced = try ChildProcess.run(
            kcat, ["-P", "-b", bootstrap, "-t", topic, "-p", "2", "-k", "W-7", "-H", "trace=abc-123", payload.path],
            timeout: 30)
        XCTAssertEqual(produced.status, 0, "kcat failed: \(produced.standardError)")

        let log = ConsumerLog()
        // Partition EOF events are switched on to show that they are not errors and not messages.
        let consumer = try makeConsumer(
            bootstrap, group: TestEnvironment.uniqueName("group"), topic: topic, log: log,
            extra: [("enable.partition.eof", "true")])
        var received: [KafkaMessage] = []
        let arrived = try pollUntil([consumer], timeout: 20) { _, batch in
            received += batch
        } done: {
            !received.isEmpty
        }
        XCTAssertTrue(arrived, "nothing received; consumer errors: \(log.errors); broker: \(broker.standardError)")
        _ = try pollUntil([consumer], timeout: 0.5) { _, batch in
            received += batch
        } done: {
            false
        }
        XCTAssertEqual(received.count, 1)
        XCTAssertTrue(log.errors.isEmpty, "\(log.errors)")
        if let message = received.first {
            XCTAssertEqual(message.topic, topic)
            XCTAssertEqual(message.partition, 2)
            XCTAssertEqual(message.offset, 0)
            XCTAssertEqual(message.keyString, "W-7")
            XCTAssertEqual(message.valueString, value)
            XCTAssertEqual(message.headers, [KafkaHeader(name: "trace", value: "abc-123")])
        }
        try consumer.close()

        broker.signal(SIGTERM)
        XCTAssertEqual(broker.wait(timeout: 20), 0, "broker exit; stderr: \(broker.standardError)")
        XCTAssertTrue(broker.standardError.contains("received SIGTERM, stopped"), broker.standardError)
        XCTAssertEqual(broker.standardOutput.split(separator: "\n").count, 1, "stdout carries only the bootstrap line")
    }

    func testSigintAlsoStopsTheBrokerCleanly() throws {
        let broker = ChildProcess(try recame, ["broker", "--brokers", "1", "--partitions", "1"])
        try broker.start()
        defer { if broker.process.isRunning { broker.signal(SIGKILL) } }
        let line = try broker.waitForLine(timeout: 20) { !$0.isEmpty }
        XCTAssertTrue(line.hasPrefix("bootstrap=127.0.0.1:"), line)
        broker.signal(SIGINT)
        XCTAssertEqual(broker.wait(timeout: 20), 0, broker.standardError)
    }

    func testHelpAndUsageErrors() throws {
        let help = try ChildProcess.run(try recame, ["broker", "--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--brokers", "--partitions", "--replication-factor", "--topic", "-X", "bootstrap="] {
            XCTAssertTrue(help.standardOutput.contains(flag), "--help does not document \(flag)")
        }
        let refusals: [([String], String)] = [
            (["--brokers", "0"], "--brokers"),
            (["--partitions", "many"], "--partitions"),
            (["--brokers", "1", "--replication-factor", "2"], "--replication-factor"),
            (["--topic", "bad topic"], "bad topic"),
            (["-X", "no.such.property=1"], "No such configuration property"),
            (["--bogus"], "--bogus"),
        ]
        for (arguments, mention) in refusals {
            let result = try ChildProcess.run(try recame, ["broker"] + arguments, timeout: 20)
            XCTAssertEqual(result.status, 2, "\(arguments) should be a usage error: \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(mention), "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardOutput, "", "\(arguments) must not print a bootstrap line")
        }
    }
}

private struct MissingProgram: Error, CustomStringConvertible {
    let description: String
}
