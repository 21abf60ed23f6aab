import Foundation
import ReCAME
import Tensor
import XCTest

final class ModelConfigurationTests: XCTestCase {
    static func fashion(experts: Int = 3, depth: Int = 20) -> ModelConfiguration {
        ModelConfiguration(
            depth: depth, experts: experts,
            classNames: [
                "tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot",
            ],
            inChannels: 1, inputSize: [28, 28], mean: [0.2860], std: [0.3530],
            trainCounts: [6000, 3597, 2156, 1293, 775, 464, 278, 166, 100, 60],
            training: .object([
                "data": .string("fmnist-lt:100"), "epochs": .integer(200), "seed": .integer(1),
                "loss_weights": .object(["contrastive": .number(0.05), "nbod": .number(0.6)]),
                "source_commit": .string("abc123"),
            ]))
    }

    func testJSONRoundTripKeepsEveryField() throws {
        var configuration = Self.fashion()
        configuration.temperature = 1.37
        configuration.widths = ModelConfiguration.widths(multiplier: 1.5)
        XCTAssertEqual(configuration.widths, [24, 48, 96])
        try configuration.validate()
        let text = configuration.jsonString
        XCTAssertEqual(try ModelConfiguration(jsonString: text), configuration)
        XCTAssertEqual(try ModelConfiguration(jsonString: text).jsonString, text, "serialization must be stable")

        // Codable goes through the same strict path.
        let encoded = try JSONEncoder().encode(configuration)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfiguration.self, from: encoded), configuration)

        // Field names are the contract's snake_case ones.
        guard case .object(let fields) = try JSONValue.parse(text) else { return XCTFail(text) }
        XCTAssertEqual(
            Set(fields.keys),
            [
                "kind", "depth", "widths", "experts", "num_classes", "class_names", "in_channels", "input_size",
                "mean", "std", "bn_eps", "cosine_scale", "rca_reduction", "rca_min_hidden", "temperature",
                "train_counts", "training",
            ])
        XCTAssertEqual(fields["bn_eps"], .number(1e-5))
        XCTAssertEqual(fields["cosine_scale"], .number(16))
        XCTAssertEqual(fields["kind"], .string("ensemble"))
    }

    func testDefaultsOfOptionalFields() throws {
        let minimal = """
            {"depth": 8, "widths": [4, 8, 16], "experts": 1, "num_classes": 2, "class_names": ["ok", "defect"],
             "in_channels": 3, "input_size": [16, 12], "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25],
             "bn_eps": 1e-5, "cosine_scale": 16, "rca_reduction": 16, "rca_min_hidden": 4}
            """
        let configuration = try ModelConfiguration(jsonString: minimal)
        XCTAssertEqual(configuration.kind, .ensemble)
        XCTAssertEqual(configuration.temperature, 1)
        XCTAssertNil(configuration.trainCounts)
        XCTAssertNil(configuration.training)
        XCTAssertEqual(configuration.blocksPerStage, 1)
        XCTAssertEqual(configuration.featureSize, 16)
    }

    /// Each broken field gives an error naming that field.
    func testValidationNamesTheField() {
        let cases: [(String, (inout ModelConfiguration) -> Void)] = [
            ("depth", { $0.depth = 21 }),
            ("depth", { $0.depth = 2 }),
            ("widths", { $0.widths = [16, 32] }),
            ("widths", { $0.widths = [16, 0, 64] }),
            ("experts", { $0.experts = 0 }),
            ("experts", { $0.kind = .student }),
            ("class_names", { $0.numClasses = 11 }),
            (
                "num_classes",
                {
                    $0.numClasses = 1
                    $0.classNames = ["only"]
                    $0.trainCounts = nil
                }
            ),
            ("class_names", { $0.classNames[3] = "trouser" }),
            ("class_names", { $0.classNames[0] = "" }),
            ("in_channels", { $0.inChannels = 0 }),
            ("input_size", { $0.inputSize = [28] }),
            ("input_size", { $0.inputSize = [28, 4] }),
            ("mean", { $0.mean = [0.1, 0.2, 0.3] }),
            ("mean", { $0.mean = [.nan] }),
            ("std", { $0.std = [0] }),
            (
                "std",
                {
                    $0.inChannels = 3
                    $0.mean = [0, 0, 0]
                }
            ),
            ("bn_eps", { $0.bnEps = 0 }),
            ("cosine_scale", { $0.cosineScale = -16 }),
            ("rca_reduction", { $0.rcaReduction = 0 }),
            ("rca_min_hidden", { $0.rcaMinHidden = 0 }),
            ("temperature", { $0.temperature = -1 }),
            ("train_counts", { $0.trainCounts = [1, 2, 3] }),
            ("train_counts", { $0.trainCounts![9] = -1 }),
            ("training", { $0.training = .string("yesterday") }),
        ]
        for (field, breakIt) in cases {
            var configuration = Self.fashion()
            breakIt(&configuration)
            XCTAssertThrowsError(try configuration.validate(), field) {
                guard let error = $0 as? ModelConfigurationError else { return XCTFail("\($0)") }
                XCTAssertEqual(error.field, field, "\(error)")
                XCTAssertTrue("\(error)".hasPrefix("config field '\(field)'"), "\(error)")
            }
            // The same configuration serialized is refused on decoding with the same field.
            XCTAssertThrowsError(try ModelConfiguration(jsonString: configuration.jsonString), field) {
                XCTAssertEqual(($0 as? ModelConfigurationError)?.field, field, "\($0)")
            }
        }
    }

    func testNonFiniteNumbersAreRefused() {
        // JSON cannot carry them, so only the in-memory check can see them.
        var configuration = Self.fashion()
        configuration.temperature = .infinity
        XCTAssertThrowsError(try configuration.validate()) {
            XCTAssertEqual(($0 as? ModelConfigurationError)?.field, "temperature")
        }
    }

    func testStudentHasOneBackbone() throws {
        var student = Self.fashion(experts: 1)
        student.kind = .student
        try student.validate()
        XCTAssertEqual(try ModelConfiguration(jsonString: student.jsonString).kind, .student)
    }

    func testDecodingNamesMissingMistypedUnknownAndRepeatedFields() throws {
        let good = Self.fashion().json
        guard case .object(let fields) = good else { return XCTFail() }

        func decodeError(_ mutate: (inout [String: JSONValue]) -> Void) -> ModelConfigurationError? {
            var copy = fields
            mutate(&copy)
            do {
                _ = try ModelConfiguration(json: .object(copy))
                return nil
            } catch {
                return error as? ModelConfigurationError
            }
        }
        XCTAssertEqual(decodeError { $0["depth"] = nil }, .init(field: "depth", problem: "is missing"))
        XCTAssertEqual(decodeError { $0["rca_min_hidden"] = nil }?.field, "rca_min_hidden")
        XCTAssertEqual(
            decodeError { $0["depth"] = .string("20") },
            .init(field: "depth", problem: "must be an integer, got a string"))
        XCTAssertEqual(decodeError { $0["depth"] = .number(20.5) }?.field, "depth")
        XCTAssertEqual(decodeError { $0["mean"] = .number(0.5) }?.field, "mean")
        XCTAssertEqual(decodeError { $0["class_names"] = .array([.integer(1)]) }?.field, "class_names")
        XCTAssertEqual(decodeError { $0["kind"] = .string("committee") }?.field, "kind")
        XCTAssertEqual(
            decodeError { $0["rca_reducton"] = .integer(8) },
            .init(field: "rca_reducton", problem: "is not a field of recame-1"))

        XCTAssertThrowsError(try ModelConfiguration(jsonString: #"{"depth": 20, "depth": 32}"#)) {
            XCTAssertEqual($0 as? ModelConfigurationError, .init(field: "depth", problem: "appears more than once"))
        }
        XCTAssertThrowsError(try ModelConfiguration(jsonString: "{\"depth\": ")) {
            XCTAssertEqual(($0 as? ModelConfigurationError)?.field, "config")
        }
        XCTAssertThrowsError(try ModelConfiguration(jsonString: "[]")) {
            XCTAssertEqual(($0 as? ModelConfigurationError)?.field, "config")
        }
    }
}
