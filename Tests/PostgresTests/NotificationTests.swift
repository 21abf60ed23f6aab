import Foundation
import Postgres
import TestSupport
import XCTest

final class NotificationTests: XCTestCase {
    func testNotifyReachesAListenerOnAnotherConnection() throws {
        let listener = try PostgresConnection(url: TestEnvironment.databaseURL)
        let sender = try PostgresConnection(url: TestEnvironment.databaseURL)
        defer {
            listener.close()
            sender.close()
        }
        let channel = "Recame Test \(UInt32.random(in: 0...UInt32.max))"  // case and space kept literally
        try listener.listen(channel)
        XCTAssertNil(try listener.waitForNotification(timeout: 0.2), "nothing was sent yet")

        try sender.notify(channel, payload: "model v2 ✓ 'quoted'")
        let notification = try XCTUnwrap(try listener.waitForNotification(timeout: 5))
        XCTAssertEqual(notification.channel, channel)
        XCTAssertEqual(notification.payload, "model v2 ✓ 'quoted'")
        XCTAssertEqual(notification.senderProcessID, sender.backendProcessID)

        // Inside a transaction NOTIFY is delivered at COMMIT, and not at all after ROLLBACK.
        try sender.execute("BEGIN")
        try sender.notify(channel, payload: "rolled back")
        try sender.execute("ROLLBACK")
        try sender.transaction { try $0.notify(channel, payload: "committed") }
        XCTAssertEqual(try listener.waitForNotification(timeout: 5)?.payload, "committed")
        XCTAssertNil(try listener.waitForNotification(timeout: 0.2))

        try listener.unlisten(channel)
        try sender.notify(channel, payload: "after unlisten")
        XCTAssertNil(try listener.waitForNotification(timeout: 0.3))
    }

    /// A waiting listener wakes up as soon as the notification arrives, not at its timeout.
    func testWaitingListenerWakesUp() throws {
        let listener = try PostgresConnection(url: TestEnvironment.databaseURL)
        let sender = try PostgresConnection(url: TestEnvironment.databaseURL)
        defer {
            listener.close()
            sender.close()
        }
        try listener.listen("recame_wake")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { try? sender.notify("recame_wake", payload: "now") }
        let started = Date()
        let notification = try listener.waitForNotification(timeout: 20)
        XCTAssertEqual(notification?.payload, "now")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testChannelNamesAreValidated() throws {
        let connection = try PostgresConnection(url: TestEnvironment.databaseURL)
        defer { connection.close() }
        XCTAssertThrowsError(try connection.listen(""))
        XCTAssertThrowsError(try connection.listen(String(repeating: "x", count: 64)))
        try connection.listen("a\"; DROP TABLE x; --")  // quoted, so only a strange channel name
    }
}
