import Postgres
import TestSupport

/// A database created for one test class (or one test) and dropped afterwards, so that tests never see
/// each other's rows and can run against a shared server.
final class ScratchDatabase {
    let name: String
    let url: String

    init(_ prefix: String) throws {
        name = TestEnvironment.uniqueName(prefix).lowercased()
        let admin = try PostgresConnection(url: TestEnvironment.databaseURL)
        defer { admin.close() }
        try admin.execute("CREATE DATABASE " + (try PostgresIdentifier.quote(name)))
        url = TestEnvironment.databaseURL(database: name)
    }

    func connect() throws -> PostgresConnection { try PostgresConnection(url: url) }

    func drop() {
        guard let admin = try? PostgresConnection(url: TestEnvironment.databaseURL) else { return }
        defer { admin.close() }
        _ = try? admin.execute(
            "DROP DATABASE IF EXISTS " + ((try? PostgresIdentifier.quote(name)) ?? name) + " WITH (FORCE)")
    }
}
