// Issue 14 item 2: the malformed-input corpus, made deterministically from small valid files: a truncation at every
// header boundary, declared sizes far beyond the file, negative and overflowing counts, offsets and dimensions, wrong
// dtypes, NaN weights, zero-size tensors, ONNX graphs with cycles, dangling names or 10,000 nodes, image headers that
// declare 30,000 x 30,000 pixels. The corpus is committed under tests/ConvNet.Tests/Corpus (one folder per parser);
// MalformedCorpusTests checks that the committed files are exactly what this makes, and that every one is refused.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Training;
using Google.Protobuf;
using SkiaSharp;

namespace ConvNet.Tests.Reliability;

public static class MalformedCorpus
{
    /// <summary>Every corpus file: (folder/name, bytes). The folder names the parser that must refuse it.</summary>
    public static IReadOnlyList<(string Path, byte[] Bytes)> Make()
    {
        var files = new List<(string, byte[])>();
        void Add(string folder, string name, byte[] bytes) => files.Add(($"{folder}/{name}", bytes));
        void Truncations(string folder, string stem, string ext, byte[] valid, IEnumerable<int> cuts)
        {
            foreach (int cut in cuts.Where(c => c >= 0 && c < valid.Length).Distinct().Order())
                Add(folder, $"{stem}-cut{cut:D6}{ext}", valid[..cut]);
        }
        IEnumerable<int> Every(int from, int to) => Enumerable.Range(from, to - from + 1);

        // IDX images: magic 0x00000803, count, rows, cols (big-endian), then bytes.
        var idx = IdxImages(3, 4, 5);
        Truncations("idx-images", "images", "", idx, [.. Every(0, 16), 20, idx.Length / 2, idx.Length - 1]);
        foreach (var (name, offset, value) in new (string, int, uint)[]
        {
            ("magic-zero", 0, 0), ("magic-labels", 0, 0x801), ("magic-float", 0, 0x0D03), ("magic-5d", 0, 0x805), ("magic-text", 0, 0x3C68746D),
            ("count-huge", 4, 0x7FFFFFFF), ("count-negative", 4, 0x80000000), ("count-beyond", 4, 4), ("count-max", 4, 0xFFFFFFFF),
            ("rows-zero", 8, 0), ("rows-huge", 8, 100000), ("rows-negative", 8, 0xFFFFFFF0), ("cols-zero", 12, 0),
            ("cols-huge", 12, 1 << 20), ("size-overflow", 8, 65536),
        })
            Add("idx-images", $"images-{name}", Patch(idx, offset, value));
        Add("idx-images", "images-size-overflow-both", Patch(Patch(idx, 8, 65536), 12, 65536));
        // Fuzzer find (fuzz/run.sh idx): count x rows x cols past 2^63, wrapping to a negative size (OverflowException).
        var wraps = Patch(Patch(Patch(idx, 4, 0x180000FE), 8, 0x00028500), 12, 0x64001907);
        Add("idx-images", "images-size-wraps", wraps);
        Add("idx-images", "images-gz-size-wraps.gz", Gzip(wraps));
        Add("idx-images", "images-one-byte-long", [.. idx, 7]);
        Add("idx-images", "images-gz-truncated.gz", Gzip(idx)[..20]);
        Add("idx-images", "images-gz-count-huge.gz", Gzip(Patch(idx, 4, 0x7FFFFFFF)));
        Add("idx-images", "images-gz-garbage.gz", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xDE, 0xAD, 0xBE, 0xEF]);
        // A small gzip file that inflates to 8 MB of zeros: a header claiming a 1-image set of 2896 x 2896 whose data
        // is all there, but the file is refused for a wrong magic number before any of it is kept.
        Add("idx-images", "images-gz-bomb.gz", Gzip(new byte[8 << 20]));

        // IDX labels: magic 0x00000801, count, then bytes.
        var labels = IdxLabels(3);
        Truncations("idx-labels", "labels", "", labels, [.. Every(0, 8), labels.Length - 1]);
        foreach (var (name, offset, value) in new (string, int, uint)[]
        {
            ("magic-images", 0, 0x803), ("magic-zero", 0, 0), ("count-huge", 4, 0x7FFFFFFF), ("count-negative", 4, 0x80000000), ("count-beyond", 4, 4),
        })
            Add("idx-labels", $"labels-{name}", Patch(labels, offset, value));
        Add("idx-labels", "labels-gz-truncated.gz", Gzip(labels)[..12]);

        // CIFAR-10 binary: records of 1 label byte + 3072 pixel bytes.
        var record = new byte[3073];
        record[0] = 3;
        Add("cifar", "empty.bin", []);
        foreach (int length in new[] { 1, 3072, 3074, 2 * 3073 - 1, 2 * 3073 + 1 })
            Add("cifar", $"length-{length}.bin", [.. Enumerable.Repeat(record, 3).SelectMany(r => r).Take(length)]);
        foreach (byte label in new byte[] { 10, 11, 128, 255 })
            Add("cifar", $"label-{label}.bin", [label, .. record[1..]]);

        // safetensors: an 8-byte little-endian header length, a JSON header, then the data.
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}";
        var st = SafeTensors(header, new byte[32]);
        Truncations("safetensors", "st", ".safetensors", st, [.. Every(0, 9), 20, 8 + header.Length / 2, 8 + header.Length, 8 + header.Length + 16, st.Length - 1]);
        foreach (var (name, declared) in new (string, ulong)[] { ("length-huge", ulong.MaxValue), ("length-2e63", 1UL << 63), ("length-beyond", (ulong)header.Length + 100), ("length-zero", 0), ("length-short", 10) })
            Add("safetensors", $"st-{name}.safetensors", SafeTensors(header, new byte[32], declared));
        foreach (var (name, h) in new (string, string)[]
        {
            ("json-invalid", "{\"a\":"), ("json-array", "[1,2,3]"), ("json-number", "42"), ("json-nested", new string('[', 5000) + new string(']', 5000)),
            ("dtype-f64", header.Replace("\"F32\",\"shape\":[2,3]", "\"F64\",\"shape\":[2,3]")),
            ("dtype-i8", header.Replace("\"F32\",\"shape\":[2]", "\"I8\",\"shape\":[2]")),
            ("dtype-bf16", header.Replace("\"F32\",\"shape\":[2,3]", "\"BF16\",\"shape\":[2,3]")),
            ("dtype-unknown", header.Replace("\"F32\",\"shape\":[2]", "\"Q4\",\"shape\":[2]")),
            ("dtype-missing", header.Replace("\"dtype\":\"F32\",\"shape\":[2]", "\"shape\":[2]")),
            ("shape-negative", header.Replace("[2,3]", "[-2,3]")), ("shape-overflow", header.Replace("[2,3]", "[2147483647,2147483647]")),
            ("shape-huge", header.Replace("[2,3]", "[100000,100000]")), ("shape-mismatch", header.Replace("[2,3]", "[3,3]")),
            ("shape-string", header.Replace("[2,3]", "\"2x3\"")),
            ("offsets-reversed", header.Replace("[0,24]", "[24,0]")), ("offsets-beyond", header.Replace("[24,32]", "[24,4000000000]")),
            ("offsets-negative", header.Replace("[0,24]", "[-8,16]")), ("offsets-overlap", header.Replace("[24,32]", "[16,24]")),
            ("offsets-gap", header.Replace("[24,32]", "[28,36]")), ("offsets-missing", header.Replace(",\"data_offsets\":[24,32]", "")),
            ("offsets-overflow", header.Replace("[24,32]", "[18446744073709551608,18446744073709551615]")),
            ("duplicate-name", header.Replace("\"b\":", "\"a\":")),
        })
            Add("safetensors", $"st-{name}.safetensors", SafeTensors(h, new byte[32]));
        // Fuzzer finds (fuzz/run.sh safetensors): bytes that are not UTF-8 inside a tensor name and a metadata value
        // (the JSON reader parses them and throws InvalidOperationException when the string is read).
        byte[] NotUtf8(string h, string inside)
        {
            var bytes = Encoding.UTF8.GetBytes(h);
            bytes[h.IndexOf(inside, StringComparison.Ordinal) + 1] = 0xC8; // a lead byte without its continuation
            return bytes;
        }
        // Bytes no tensor names (the format's rule: the tensors cover the data exactly), and a metadata key twice.
        Add("safetensors", "st-offsets-hole.safetensors", SafeTensors(header.Replace("[24,32]", "[32,40]"), new byte[40]));
        Add("safetensors", "st-trailing-bytes.safetensors", SafeTensors(header, new byte[40]));
        Add("safetensors", "st-metadata-duplicate.safetensors",
            SafeTensors(header.Replace("{\"a\"", "{\"__metadata__\":{\"model\":\"x\",\"model\":\"y\"},\"a\""), new byte[32]));
        Add("safetensors", "st-name-not-utf8.safetensors", SafeTensors(NotUtf8(header, "\"a\""), new byte[32]));
        Add("safetensors", "st-metadata-not-utf8.safetensors",
            SafeTensors(NotUtf8(header.Replace("{\"a\"", "{\"__metadata__\":{\"model\":\"xy\"},\"a\""), "\"xy\""), new byte[32]));

        // Weights for alexnet-micro (loaded as a model): NaN and infinite values, a zero-size tensor, wrong names.
        var micro = ModelRegistry.Create(AlexNetMicro.Name);
        micro.Initialize(new Rng(1));
        var tensors = WeightLoader.Collect(micro);
        byte[] Weights(IReadOnlyList<NamedTensor> t) { using var s = new MemoryStream(); SafeTensorsFile.Write(s, t); return s.ToArray(); }
        NamedTensor With(NamedTensor t, float v) => t with { Data = [v, .. t.Data[1..]] };
        Add("weights", "nan.safetensors", Weights([.. tensors.Select(t => t.Name == "fc7.weight" ? With(t, float.NaN) : t)]));
        Add("weights", "infinity.safetensors", Weights([.. tensors.Select(t => t.Name == "conv1.bias" ? With(t, float.NegativeInfinity) : t)]));
        Add("weights", "zero-size.safetensors", Weights([.. tensors.Select(t => t.Name == "fc8.bias" ? t with { Shape = [0], Data = [] } : t)]));
        Add("weights", "renamed.safetensors", Weights([.. tensors.Select(t => t.Name == "conv2.weight" ? t with { Name = "conv2.kernel" } : t)]));
        Add("weights", "missing.safetensors", Weights([.. tensors.Where(t => t.Name != "fc6.bias")]));
        Add("weights", "transposed.safetensors", Weights([.. tensors.Select(t => t.Name == "fc6.weight" ? t with { Shape = [t.Shape[1], t.Shape[0]] } : t)]));

        // .npy: magic, version, header length, a Python dict, then the data.
        const string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        var npy = Npy(1, dict, new byte[24]);
        Truncations("npy", "x", ".npy", npy, [.. Every(0, 10), 20, 40, npy.Length - 24, npy.Length - 1]);
        foreach (var (name, version, d) in new (string, byte, string)[]
        {
            ("version-0", 0, dict), ("version-4", 4, dict), ("descr-f8", 1, dict.Replace("<f4", "<f8")), ("descr-big-endian", 1, dict.Replace("<f4", ">f4")),
            ("descr-bool", 1, dict.Replace("<f4", "|b1")), ("descr-object", 1, dict.Replace("<f4", "|O")), ("fortran", 1, dict.Replace("False", "True")),
            ("shape-negative", 1, dict.Replace("(2, 3)", "(-2, 3)")), ("shape-huge", 1, dict.Replace("(2, 3)", "(100000, 100000)")),
            ("shape-overflow", 1, dict.Replace("(2, 3)", "(4294967296, 4294967296)")), ("shape-text", 1, dict.Replace("(2, 3)", "'2x3'")),
            ("shape-float", 1, dict.Replace("(2, 3)", "(2.5, 3)")), ("no-shape", 1, "{'descr': '<f4', 'fortran_order': False, }"),
            ("no-descr", 1, "{'fortran_order': False, 'shape': (2, 3), }"), ("not-a-dict", 1, "print('hello')"), ("empty-dict", 1, "{}"),
            ("nested", 1, "{'descr': " + new string('[', 3000) + "}"), ("non-ascii", 1, dict.Replace("descr", "dëscr")),
        })
            Add("npy", $"x-{name}.npy", Npy(version, d, new byte[24]));
        Add("npy", "x-header-length-huge.npy", Patch16(npy, 8, 0xFFFF));
        Add("npy", "x-magic.npy", [.. "\x93NUMPX"u8.ToArray(), .. npy[6..]]);
        Add("npy", "x-data-long.npy", [.. npy, 1, 2, 3, 4]);

        // ONNX: our export of alexnet-micro, cut and edited.
        byte[] onnx;
        using (var s = new MemoryStream()) { OnnxExporter.Export(micro, s); onnx = s.ToArray(); }
        Truncations("onnx", "micro", ".onnx", onnx, [.. Every(0, 16), .. Enumerable.Range(1, 24).Select(i => i * 48), onnx.Length / 4, onnx.Length / 2, onnx.Length - 100, onnx.Length - 1]);
        byte[] Edited(Action<ModelProto> edit)
        {
            var model = ModelProto.Parser.ParseFrom(onnx);
            edit(model);
            return model.ToByteArray();
        }
        Add("onnx", "cycle.onnx", Edited(m => m.Graph.Node.First(n => n.Name == "conv1").Input[0] = m.Graph.Node.First(n => n.Name == "relu1").Output[0]));
        Add("onnx", "dangling-input.onnx", Edited(m => m.Graph.Node.First(n => n.Name == "conv2").Input[0] = "nowhere"));
        Add("onnx", "dangling-weight.onnx", Edited(m => m.Graph.Node.First(n => n.Name == "fc7").Input[1] = "no.such.weight"));
        Add("onnx", "no-nodes.onnx", Edited(m => m.Graph.Node.Clear()));
        Add("onnx", "no-graph.onnx", Edited(m => m.Graph = null));
        Add("onnx", "no-output.onnx", Edited(m => m.Graph.Output.Clear()));
        Add("onnx", "unknown-op.onnx", Edited(m => m.Graph.Node.First(n => n.Name == "relu1").OpType = "Sigmoid2"));
        Add("onnx", "opset-1.onnx", Edited(m => m.OpsetImport[0].Version = 1));
        Add("onnx", "opset-huge.onnx", Edited(m => m.OpsetImport[0].Version = long.MaxValue));
        Add("onnx", "weight-short.onnx", Edited(m => { var t = m.Graph.Initializer.First(i => i.Name == "conv1.weight"); t.RawData = ByteString.CopyFrom(t.RawData.Span[..10]); }));
        Add("onnx", "weight-dims-negative.onnx", Edited(m => m.Graph.Initializer.First(i => i.Name == "fc6.weight").Dims[0] = -1));
        Add("onnx", "weight-dims-overflow.onnx", Edited(m => { var t = m.Graph.Initializer.First(i => i.Name == "fc6.weight"); t.Dims[0] = 1L << 40; t.Dims[1] = 1L << 40; }));
        Add("onnx", "weight-dtype-double.onnx", Edited(m => m.Graph.Initializer.First(i => i.Name == "fc8.weight").DataType = 11));
        Add("onnx", "weight-external.onnx", Edited(m => { var t = m.Graph.Initializer.First(i => i.Name == "fc8.weight"); t.RawData = ByteString.Empty; t.DataLocation = TensorProto.Types.DataLocation.External; }));
        Add("onnx", "weight-nan.onnx", Edited(m =>
        {
            var t = m.Graph.Initializer.First(i => i.Name == "fc8.weight");
            var raw = t.RawData.ToByteArray();
            BinaryPrimitives.WriteSingleLittleEndian(raw, float.NaN);
            t.RawData = ByteString.CopyFrom(raw);
        }));
        Add("onnx", "input-shape-negative.onnx", Edited(m => m.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimValue = -28));
        Add("onnx", "input-shape-zero.onnx", Edited(m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 0));
        // Fuzzer find (fuzz/run.sh onnx): an input so small that a window fits nowhere; the empty [16, 0, 0] output
        // reached the flatten, whose error named neither the file nor the node.
        Add("onnx", "input-shape-tiny.onnx", Edited(m => { var d = m.Graph.Input[0].Type.TensorType.Shape.Dim; d[2].DimValue = 3; d[3].DimValue = 3; }));
        Add("onnx", "ten-thousand-nodes.onnx", Edited(m =>
        {
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            string previous = relu.Output[0], last = previous;
            var consumer = m.Graph.Node.First(n => n.Input.Contains(previous) && n != relu);
            for (int i = 0; i < 10000; i++)
            {
                var node = new NodeProto { OpType = "Relu", Name = $"extra{i}" };
                node.Input.Add(last);
                last = $"extra{i}.out";
                node.Output.Add(last);
                m.Graph.Node.Add(node);
            }
            consumer.Input[consumer.Input.IndexOf(previous)] = last;
            m.Graph.Node.Add(new NodeProto { OpType = "Relu", Name = "loop", Input = { last }, Output = { previous } }); // and a cycle back
        }));
        Add("onnx", "garbage.onnx", Encoding.ASCII.GetBytes("this is not a protobuf message at all, just text"));
        Add("onnx", "empty.onnx", []);

        // Checkpoint sidecars (.json), loaded with their network. Beside them, the valid weights they name
        // (sidecar/weights.safetensors, not itself part of the corpus).
        byte[] weights = Weights(tensors);
        Add("sidecar", "weights.safetensors", weights);
        string sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(weights));
        var valid = new CheckpointInfo
        {
            Model = AlexNetMicro.Name, Classes = 10, InputShape = [1, 28, 28], ClassNames = [.. Enumerable.Range(0, 10).Select(i => $"c{i}")],
            NormalizationMean = [0.5f], NormalizationStd = [0.25f], WeightsFile = "weights.safetensors", WeightsSha256 = sha, CreatedUtc = "2026-11-29T00:00:00Z",
        };
        byte[] Sidecar(Action<JsonObject> edit)
        {
            var node = JsonSerializer.SerializeToNode(valid, CheckpointInfo.Json)!.AsObject();
            edit(node);
            return Encoding.UTF8.GetBytes(node.ToJsonString(CheckpointInfo.Json));
        }
        byte[] good = Sidecar(_ => { });
        static JsonObject Preprocessing(string file, int size, int crop) =>
            new() { ["kind"] = "paper", ["file"] = file, ["sha256"] = "", ["size"] = size, ["cropSize"] = crop };
        foreach (var (name, bytes) in new (string, byte[])[]
        {
            ("empty", []), ("object", "{}"u8.ToArray()), ("array", "[]"u8.ToArray()), ("null", "null"u8.ToArray()), ("truncated", good[..(good.Length / 2)]),
            ("format-2", Sidecar(o => o["format"] = 2)), ("format-negative", Sidecar(o => o["format"] = -1)),
            ("weights-missing", Sidecar(o => o["weightsFile"] = "gone.safetensors")),
            ("weights-traversal", Sidecar(o => o["weightsFile"] = "../../../../../../../../etc/passwd")),
            ("weights-absolute", Sidecar(o => o["weightsFile"] = "/dev/zero")),
            ("weights-folder", Sidecar(o => o["weightsFile"] = ".")),
            ("sha-wrong", Sidecar(o => o["weightsSha256"] = new string('0', 64))), ("sha-empty", Sidecar(o => o["weightsSha256"] = "")),
            ("classes-negative", Sidecar(o => o["classes"] = -1)), ("classes-huge", Sidecar(o => o["classes"] = int.MaxValue)),
            ("classes-names-short", Sidecar(o => o["classNames"] = new JsonArray("a", "b"))),
            ("input-empty", Sidecar(o => o["inputShape"] = new JsonArray())), ("input-negative", Sidecar(o => o["inputShape"] = new JsonArray(1, -28, 28))),
            ("input-huge", Sidecar(o => o["inputShape"] = new JsonArray(1, 100000, 100000))), ("input-channels-5", Sidecar(o => o["inputShape"] = new JsonArray(5, 28, 28))),
            ("model-unknown", Sidecar(o => o["model"] = "resnet-9000")), ("model-number", Sidecar(o => o["model"] = 7)),
            ("normalization-empty", Sidecar(o => o["normalizationStd"] = new JsonArray())),
            // Found by afl-fuzz (checkpoint target, 2026-11-30): a preprocessing record without its file crashed export's
            // metadata; and the mean image's file was not held to the checkpoint's folder as the weights are.
            ("preprocessing-no-file", Sidecar(o => o["preprocessing"] = new JsonObject { ["la"] = 1 })),
            ("preprocessing-traversal", Sidecar(o => o["preprocessing"] = Preprocessing("../../../../../../../../etc/passwd", 256, 227))),
            ("preprocessing-absolute", Sidecar(o => o["preprocessing"] = Preprocessing("/dev/zero", 256, 227))),
            ("preprocessing-crop-beyond-square", Sidecar(o => o["preprocessing"] = Preprocessing("preprocessing.safetensors", 32, 227))),
            ("nesting", Encoding.ASCII.GetBytes(new string('[', 10000) + new string(']', 10000))), ("binary", [0, 1, 2, 0xFF]),
            // Records no command could use (they crashed eval, or failed in predict naming no file).
            ("class-name-null", Sidecar(o => o["classNames"] = new JsonArray("c0", null, "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"))),
            ("class-name-twice", Sidecar(o => o["classNames"] = new JsonArray("c0", "c0", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"))),
            ("channel-order-unknown", Sidecar(o => o["channelOrder"] = "XYZ")), ("resize-below-input", Sidecar(o => o["resizeShorterSide"] = 5)),
            ("crop-padding-huge", Sidecar(o => o["trainedCropPadding"] = 1000000)),
            ("field-twice", [.. "{\"classes\": 3,"u8, .. good[1..]]),
        })
            Add("sidecar", $"{name}.json", bytes);

        // Image list files: "path label" per line.
        foreach (var (name, text) in new (string, string)[]
        {
            ("empty", ""), ("no-label", "a.png\nb.png 1\n"), ("label-negative", "a.png -1\n"), ("label-text", "a.png cat\n"),
            ("label-overflow", "a.png 99999999999999999999\n"), ("label-huge", "a.png 2147483647\n"), ("only-spaces", "   \n \n"),
            ("binary", "\u0000\u0001\u0002 3\n"), ("long-line", new string('x', 100000) + " 1\n"), ("label-float", "a.png 1.5\n"),
            ("three-fields", "a.png 1 2\n"),
        })
            Add("list", $"{name}.txt", Encoding.UTF8.GetBytes(text));

        // Images through the decoder: truncations of each format, impossible and gigantic declared sizes.
        var png = Encode(SKEncodedImageFormat.Png);
        var jpeg = Encode(SKEncodedImageFormat.Jpeg);
        var webp = Encode(SKEncodedImageFormat.Webp);
        var bmp = Bmp(8, 6);
        var gif = Gif();
        // Cuts inside the compressed pixels at most: a PNG that lost only its checksums or IEND trailer still holds
        // every pixel, and decoding it is right.
        int idat = png.AsSpan().IndexOf("IDAT"u8) + 4;
        Truncations("image", "png", ".png", png, [0, 1, 4, 8, 12, 16, 20, 24, 29, 33, idat, idat + 5, idat + 15]);
        Truncations("image", "jpeg", ".jpg", jpeg, [0, 1, 2, 3, 4, 20, 100, 200, jpeg.Length / 2, jpeg.Length - 2, jpeg.Length - 1]);
        Truncations("image", "webp", ".webp", webp, [0, 4, 8, 12, 16, 20, 30, webp.Length / 2, webp.Length - 1]);
        Truncations("image", "bmp", ".bmp", bmp, [0, 2, 10, 14, 18, 26, 30, 54, bmp.Length / 2, bmp.Length - 1]);
        Truncations("image", "gif", ".gif", gif, [0, 3, 6, 10, 13, 19, 25, gif.Length - 2, gif.Length - 1]);
        Add("image", "png-30000x30000.png", PngHeader(30000, 30000));
        Add("image", "png-0x0.png", PngHeader(0, 0));
        Add("image", "png-2e31.png", PngHeader(int.MaxValue, 1));
        Add("image", "png-bad-crc.png", Patch(png, 29, 0xDEADBEEF));
        Add("image", "bmp-30000x30000.bmp", PatchLe(PatchLe(bmp, 18, 30000), 22, 30000));
        Add("image", "bmp-negative-width.bmp", PatchLe(bmp, 18, unchecked((uint)-8)));
        Add("image", "bmp-offset-beyond.bmp", PatchLe(bmp, 10, 1 << 30));
        Add("image", "gif-65535x65535.gif", [.. gif[..6], 0xFF, 0xFF, 0xFF, 0xFF, .. gif[10..]]);
        Add("image", "jpeg-65500x65500.jpg", JpegWithSize(jpeg, 65500, 65500));
        Add("image", "jpeg-0x0.jpg", JpegWithSize(jpeg, 0, 0));
        Add("image", "text.png", Encoding.ASCII.GetBytes("not an image"));
        Add("image", "html.jpg", Encoding.ASCII.GetBytes("<html><body>404</body></html>"));
        Add("image", "empty.png", []);
        return files;
    }

    private static byte[] Patch(byte[] source, int offset, uint bigEndian)
    {
        var bytes = (byte[])source.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offset), bigEndian);
        return bytes;
    }

    private static byte[] PatchLe(byte[] source, int offset, uint littleEndian)
    {
        var bytes = (byte[])source.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), littleEndian);
        return bytes;
    }

    private static byte[] Patch16(byte[] source, int offset, ushort littleEndian)
    {
        var bytes = (byte[])source.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), littleEndian);
        return bytes;
    }

    private static byte[] IdxImages(int count, int rows, int cols)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = (byte)(i * 7);
        return bytes;
    }

    private static byte[] IdxLabels(int count)
    {
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++) bytes[8 + i] = (byte)i;
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(data);
        return output.ToArray();
    }

    private static byte[] SafeTensors(string header, byte[] data, ulong? declared = null) => SafeTensors(Encoding.UTF8.GetBytes(header), data, declared);

    private static byte[] SafeTensors(byte[] h, byte[] data, ulong? declared = null)
    {
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    private static byte[] Npy(byte version, string dict, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(dict.PadRight(118 - 10) + "\n");
        return [0x93, .. "NUMPY"u8.ToArray(), version, 0, (byte)(h.Length & 0xFF), (byte)(h.Length >> 8), .. h, .. data];
    }

    private static byte[] Encode(SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(12, 9, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < 9; y++)
            for (int x = 0; x < 12; x++) bitmap.SetPixel(x, y, new SKColor((byte)(x * 20), (byte)(y * 25), 90));
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    internal static byte[] PngHeader(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        var chunk = new byte[4 + 4 + 13 + 4];
        BinaryPrimitives.WriteInt32BigEndian(chunk, 13);
        "IHDR"u8.CopyTo(chunk.AsSpan(4));
        ihdr.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(21), Crc32(chunk.AsSpan(4, 17)));
        // A tiny IDAT (one compressed empty block) and IEND: the decoder must refuse the size before inflating.
        byte[] idat = [0, 0, 0, 2, (byte)'I', (byte)'D', (byte)'A', (byte)'T', 0x78, 0x9C, 0, 0, 0, 0];
        byte[] iend = [0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. chunk, .. idat, .. iend];
    }

    private static byte[] Bmp(int width, int height)
    {
        int row = (width * 3 + 3) / 4 * 4, size = 54 + row * height;
        var bytes = new byte[size];
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), size);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        for (int i = 54; i < size; i++) bytes[i] = (byte)(i * 13);
        return bytes;
    }

    // A 2x2 GIF87a with a 2-colour table and one LZW-coded image.
    private static byte[] Gif() =>
    [
        .. "GIF87a"u8.ToArray(), 2, 0, 2, 0, 0x80, 0, 0, 255, 0, 0, 0, 0, 255,
        0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 3, 0x84, 0x1D, 0x05, 0, 0x3B,
    ];

    // The first SOF0/SOF2 marker's height and width replaced.
    private static byte[] JpegWithSize(byte[] jpeg, int width, int height)
    {
        var bytes = (byte[])jpeg.Clone();
        for (int i = 2; i + 9 < bytes.Length; i++)
            if (bytes[i] == 0xFF && bytes[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 7), (ushort)width);
                return bytes;
            }
        throw new InvalidOperationException("no SOF marker in the JPEG seed");
    }

    // CRC-32 (IEEE) of PNG chunks, bit by bit: the corpus needs a handful.
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
