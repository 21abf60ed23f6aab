import Foundation
import Tensor
import TestSupport
import XCTest

/// Interoperability with Python's `safetensors` package (with numpy), both directions.
final class SafetensorsPythonTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard Python.canImport(["safetensors", "numpy"]) else {
            throw XCTSkip("python3 cannot import safetensors and numpy (pip install safetensors numpy)")
        }
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent(TestEnvironment.uniqueName("safetensors_python"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// Python writes F32, F16 and F64 tensors and metadata with `safetensors.numpy.save_file`, and prints
    /// each tensor's values as float32 bit patterns (numpy's own conversion); we must read the same bits.
    func testReadsAFileWrittenByPythonSafetensors() throws {
        let path = directory.appendingPathComponent("python.safetensors").path
        let script = """
            import json, sys
            import numpy as np
            from safetensors.numpy import save_file
            rng = np.random.default_rng(7)
            tensors = {
                "experts.0.conv1.weight": rng.standard_normal((16, 1, 3, 3)).astype(np.float32),
                "experts.0.bn1.running_var": rng.random(16).astype(np.float32) + 0.5,
                "half": (rng.standard_normal(9) * 100).astype(np.float16).reshape(3, 3),
                "double": rng.standard_normal((2, 5)),
                "scalar": np.array(3.25, dtype=np.float32),
                "empty": np.zeros((0, 7), dtype=np.float32),
            }
            save_file(tensors, sys.argv[1], metadata={"format": "recame-1", "note": "written by python"})
            expected = {name: {"shape": list(array.shape),
                               "bits": array.astype(np.float32).reshape(-1).view(np.uint32).tolist()}
                        for name, array in tensors.items()}
            print(json.dumps(expected))
            """
        let output = try Python.run(["-c", script, path])
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(file.metadata, ["format": "recame-1", "note": "written by python"])

        guard case .object(let expected) = try JSONValue.parse(output) else { return XCTFail("bad output: \(output)") }
        XCTAssertEqual(Set(file.tensors.keys), Set(expected.keys))
        for (name, description) in expected {
            guard case .object(let fields) = description, case .array(let shape) = fields["shape"],
                case .array(let bits) = fields["bits"], let tensor = file.tensors[name]
            else { return XCTFail("missing \(name)") }
            XCTAssertEqual(tensor.shape.map { JSONValue.integer(Int64($0)) }, shape, name)
            XCTAssertEqual(tensor.values.map { JSONValue.integer(Int64($0.bitPattern)) }, bits, name)
        }
    }

    /// We write a file; Python's package must load it with the same names, shapes, bits and metadata.
    func testPythonSafetensorsReadsOurFile() throws {
        let original = SafetensorsFileTests.sample()
        let url = directory.appendingPathComponent("ours.safetensors")
        try original.write(to: url)
        let script = """
            import json, sys
            import numpy as np
            from safetensors import safe_open
            from safetensors.numpy import load_file
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as handle:
                metadata = handle.metadata()
            print(json.dumps({
                "metadata": metadata,
                "tensors": {name: {"dtype": str(array.dtype), "shape": list(array.shape),
                                   "bits": array.reshape(-1).view(np.uint32).tolist()}
                            for name, array in tensors.items()},
            }))
            """
        let output = try Python.run(["-c", script, url.path])
        guard case .object(let root) = try JSONValue.parse(output), case .object(let metadata) = root["metadata"],
            case .object(let tensors) = root["tensors"]
        else { return XCTFail("bad output: \(output)") }
        XCTAssertEqual(metadata, original.metadata.mapValues { .string($0) })
        XCTAssertEqual(Set(tensors.keys), Set(original.tensors.keys))
        for (name, tensor) in original.tensors {
            guard case .object(let fields) = tensors[name] else { return XCTFail("python lacks \(name)") }
            XCTAssertEqual(fields["dtype"], .string("float32"), name)
            XCTAssertEqual(fields["shape"], .array(tensor.shape.map { .integer(Int64($0)) }), name)
            XCTAssertEqual(fields["bits"], .array(tensor.values.map { .integer(Int64($0.bitPattern)) }), name)
        }
    }
}
