/// A PostgreSQL type, by its OID in `pg_type`. Only the built-in types that this package encodes or
/// decodes have names here; any other OID still round-trips as a number in error messages.
public struct PostgresType: Hashable, Sendable, CustomStringConvertible {
    public let oid: UInt32

    public init(oid: UInt32) { self.oid = oid }

    /// Lets the server infer the parameter's type from its use in the statement.
    public static let unspecified = PostgresType(oid: 0)
    public static let bool = PostgresType(oid: 16)
    public static let bytea = PostgresType(oid: 17)
    public static let char = PostgresType(oid: 18)
    public static let name = PostgresType(oid: 19)
    public static let int8 = PostgresType(oid: 20)
    public static let int2 = PostgresType(oid: 21)
    public static let int4 = PostgresType(oid: 23)
    public static let text = PostgresType(oid: 25)
    public static let oidType = PostgresType(oid: 26)
    public static let json = PostgresType(oid: 114)
    public static let float4 = PostgresType(oid: 700)
    public static let float8 = PostgresType(oid: 701)
    public static let unknown = PostgresType(oid: 705)
    public static let int2Array = PostgresType(oid: 1005)
    public static let int4Array = PostgresType(oid: 1007)
    public static let textArray = PostgresType(oid: 1009)
    public static let varcharArray = PostgresType(oid: 1015)
    public static let int8Array = PostgresType(oid: 1016)
    public static let float4Array = PostgresType(oid: 1021)
    public static let float8Array = PostgresType(oid: 1022)
    public static let bpchar = PostgresType(oid: 1042)
    public static let varchar = PostgresType(oid: 1043)
    public static let timestamp = PostgresType(oid: 1114)
    public static let timestamptz = PostgresType(oid: 1184)
    public static let numericArray = PostgresType(oid: 1231)
    public static let numeric = PostgresType(oid: 1700)
    public static let uuid = PostgresType(oid: 2950)
    public static let jsonb = PostgresType(oid: 3802)

    private static let names: [UInt32: String] = [
        0: "unspecified", 16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2",
        23: "int4", 25: "text", 26: "oid", 114: "json", 700: "float4", 701: "float8", 705: "unknown",
        1005: "int2[]", 1007: "int4[]", 1009: "text[]", 1015: "varchar[]", 1016: "int8[]",
        1021: "float4[]", 1022: "float8[]", 1042: "bpchar", 1043: "varchar", 1114: "timestamp",
        1184: "timestamptz", 1231: "numeric[]", 1700: "numeric", 2950: "uuid", 3802: "jsonb",
    ]

    public var description: String { Self.names[oid] ?? "oid \(oid)" }

    /// Types whose text form is the value itself, so that decoding them as `String` loses nothing.
    static let textual: Set<PostgresType> = [.text, .varchar, .bpchar, .name, .char, .json, .jsonb, .uuid, .unknown]
    static let integers: Set<PostgresType> = [.int2, .int4, .int8]
    static let floatingPoint: Set<PostgresType> = [.float4, .float8, .numeric]
    static let integerArrays: Set<PostgresType> = [.int2Array, .int4Array, .int8Array]
    static let floatingPointArrays: Set<PostgresType> = [.float4Array, .float8Array, .numericArray]
    static let textArrays: Set<PostgresType> = [.textArray, .varcharArray]
}
