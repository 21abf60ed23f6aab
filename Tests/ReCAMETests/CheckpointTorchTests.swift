import Foundation
import ReCAME
import Tensor
import TestSupport
import XCTest

/// The checkpoint contract against the PyTorch reference, bench/recame_torch.py.
final class CheckpointTorchTests: XCTestCase {
    private var directory: URL!
    private let script = TestEnvironment.packageRoot.appendingPathComponent("bench/recame_torch.py").path

    override func setUpWithError() throws {
        guard Python.canImport(["torch", "safetensors", "numpy"]) else {
            throw XCTSkip("python3 cannot import torch, safetensors and numpy (pip install torch==2.13.0 safetensors)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("torch"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func writeConfig(_ configuration: ModelConfiguration) throws -> String {
        let path = directory.appendingPathComponent(TestEnvironment.uniqueName("config") + ".json").path
        try Data(configuration.jsonString.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Our layout lists exactly the PyTorch module's state_dict (less num_batches_tracked), in its order.
    func testLayoutMatchesThePyTorchStateDict() throws {
        let configuration = ModelConfigurationTests.fashion()
        let output = try Python.run([script, "layout", "--config", try writeConfig(configuration)])
        guard case .array(let entries) = try JSONValue.parse(output) else { return XCTFail(output) }
        let torch: [(String, [Int])] = entries.compactMap {
            guard case .array(let pair) = $0, case .string(let name) = pair.first, case .array(let shape) = pair.last
            else { return nil }
            return (name, shape.compactMap { if case .integer(let d) = $0 { return Int(d) } else { return nil } })
        }
        let ours = CheckpointLayout(configuration).tensors
        XCTAssertEqual(torch.count, 429)
        XCTAssertEqual(torch.map(\.0), ours.map(\.name))
        XCTAssertEqual(torch.map(\.1), ours.map(\.shape))
    }

    /// A checkpoint we write loads in PyTorch with strict load_state_dict and gives finite logits; a
    /// checkpoint PyTorch exports loads here with its configuration intact.
    func testCheckpointsLoadBothWays() throws {
        var configuration = ModelConfigurationTests.fashion(experts: 2, depth: 8)
        configuration.inputSize = [12, 10]
        configuration.widths = ModelConfiguration.widths(multiplier: 0.5)
        let ours = directory.appendingPathComponent("ours.safetensors")
        try CheckpointTests.random(configuration).save(to: ours)

        let input = directory.appendingPathComponent("input.npy").path
        let logits = directory.appendingPathComponent("logits.npy").path
        let exported = directory.appendingPathComponent("torch.safetensors").path
        let check = """
            import os, sys
            import numpy as np
            script, model, input_path, logits_path, config, exported = sys.argv[1:]
            sys.path.insert(0, os.path.dirname(script))
            import recame_torch
            np.save(input_path, np.random.default_rng(3).standard_normal((4, 1, 12, 10)).astype(np.float32))
            def run(*args):
                assert recame_torch.main(list(args)) == 0, args
            run("logits", "--model", model, "--input", input_path, "--out", logits_path, "--per-expert")
            result = np.load(logits_path)
            assert result.shape == (2, 4, 10) and result.dtype == np.float32, result.shape
            assert np.isfinite(result).all()
            # Cosine logits are bounded by the scale plus the bias.
            assert np.abs(result).max() <= 16 + 0.25, np.abs(result).max()
            run("export", "--config", config, "--out", exported, "--seed", "5")
            print("ok")
            """
        let output = try Python.run(
            ["-c", check, script, ours.path, input, logits, try writeConfig(configuration), exported])
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "ok")

        let loaded = try Checkpoint.load(contentsOf: URL(fileURLWithPath: exported))
        XCTAssertEqual(loaded.configuration, configuration)
        XCTAssertEqual(loaded.tensors.count, CheckpointLayout(configuration).tensors.count)
        let variance = try XCTUnwrap(loaded.tensors["experts.1.layer3.0.shortcut.bn.running_var"])
        XCTAssertEqual(variance.shape, [32])
        XCTAssertTrue(variance.values.allSatisfy { $0 >= 0.5 && $0 <= 1.5 }, "random BN statistics expected")
    }

    /// The committed fixtures' logits are what the current reference computes: the fixture cannot drift
    /// from bench/recame_torch.py unnoticed.
    func testFixtureLogitsMatchTheCurrentReference() throws {
        let check = """
            import os, sys
            import numpy as np, torch
            from safetensors.numpy import load_file
            script, folder = sys.argv[1:]
            sys.path.insert(0, os.path.dirname(script))
            import recame_torch
            for name in ("tiny-gray", "tiny-rgb-student"):
                _, model = recame_torch.load_checkpoint(os.path.join(folder, name + ".safetensors"))
                reference = load_file(os.path.join(folder, name + ".reference.safetensors"))
                with torch.no_grad():
                    logits = model.expert_logits(torch.from_numpy(reference["input"])).numpy()
                np.testing.assert_allclose(logits, reference["expert_logits"], rtol=1e-5, atol=1e-5)
            print("ok")
            """
        let output = try Python.run(["-c", check, script, CheckpointFixtureTests.folder.path])
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }

    /// The reference refuses a file that breaks the contract, naming the tensor.
    func testPyTorchReferenceRefusesAMisshapenCheckpoint() throws {
        let configuration = ModelConfigurationTests.fashion(experts: 1, depth: 8)
        var file = try CheckpointTests.random(configuration).safetensorsFile()
        file.tensors["experts.0.classifier.weight"] = .init(shape: [10, 63], values: .init(repeating: 0, count: 630))
        let url = directory.appendingPathComponent("bad.safetensors")
        try file.write(to: url)
        let input = directory.appendingPathComponent("input.npy").path
        try Python.run([
            "-c", "import numpy as np, sys; np.save(sys.argv[1], np.zeros((1, 1, 28, 28), np.float32))", input,
        ])
        let result = try Python.result([
            script, "logits", "--model", url.path, "--input", input, "--out",
            directory.appendingPathComponent("o.npy").path,
        ])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.standardError.contains("experts.0.classifier.weight"), result.standardError)
    }
}
