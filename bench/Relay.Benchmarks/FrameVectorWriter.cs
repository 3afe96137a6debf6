using System.Buffers;
using System.Text;
using Relay.HttpProxy.Protocol;

namespace Relay.Benchmarks;

/// <summary>
/// Writes the layer-2 test vectors in docs/vectors/frames: one frame of version 2 per file, for every
/// frame type and body codec, and a README describing each. The frames carry no randomness (the
/// codecs are deterministic), so every run with the same codec versions writes the same bytes.
/// </summary>
internal static class FrameVectorWriter
{
    /// <summary>The stream id every vector uses (a version-7 UUID, big-endian on the wire).</summary>
    public static readonly Guid StreamId = Guid.Parse("0192d7e4-1c2b-7a3d-8e4f-5a6b7c8d9e0f");

    public static int Run(string directory, TextWriter output)
    {
        Directory.CreateDirectory(directory);
        var json = Encoding.UTF8.GetBytes("{\"hello\":\"relay\"}");
        var repeated = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 64).Select(i => $"{{\"id\":{i},\"status\":\"paid\",\"currency\":\"EUR\"}},")));
        var vectors = new (string Name, string Describes, byte[] Frame)[]
        {
            ("request-head", "request head (type 1) from the caller's side, end of body, total 0: `GET http://127.0.0.1:9000/invoices?year=2026`, headers `Accept: application/json`, `X-Tag: v`, no content length, no body, deadline 30000 ms, response codec 2 (Brotli), caller `10.0.0.7`, host `relay-a:8080`, scheme `http`, expires at 1767225600000, route `/svc/`",
                Build(f => f.BeginRequest(StreamId, new RequestHead("GET", "http://127.0.0.1:9000/invoices?year=2026", HeaderList.FromNamesAndValues(["Accept", "application/json", "X-Tag", "v"]), null, false, 30_000, BodyCodec.Brotli, "10.0.0.7", "relay-a:8080", "http", 1_767_225_600_000, "/svc/")), [], BodyCodec.None, 0)),
            ("response-head", $"response head (type 2) from the callee's side, end of body: status 200, headers `Content-Type: application/json`, content length {json.Length}, the whole body inline and raw: `{{\"hello\":\"relay\"}}`, total {json.Length}",
                Build(f => f.BeginResponse(StreamId, new ResponseHead(200, HeaderList.FromNamesAndValues(["Content-Type", "application/json"]), json.Length)), json, BodyCodec.None, json.Length)),
            ("data-raw", "data (type 3) from the caller's side, raw: the 17 bytes `{\"hello\":\"relay\"}`, body continues",
                Build(f => f.BeginData(true, StreamId), json, BodyCodec.None, null)),
            ("data-lz4", $"data (type 3) from the callee's side, LZ4 (codec 1): decodes to the {repeated.Length} bytes of `{{\"id\":N,\"status\":\"paid\",\"currency\":\"EUR\"}},` for N = 0…63, body continues",
                Build(f => f.BeginData(false, StreamId), repeated, BodyCodec.Lz4, null)),
            ("data-brotli", $"data (type 3) from the callee's side, Brotli (codec 2): decodes to the same {repeated.Length} bytes as data-lz4, body continues",
                Build(f => f.BeginData(false, StreamId), repeated, BodyCodec.Brotli, null)),
            ("end-of-body", "data (type 3) from the callee's side with no body bytes and end of body: the body's total decoded length is 1041",
                Build(f => f.BeginData(false, StreamId), [], BodyCodec.None, 1041)),
            ("credit", "credit (type 4) from the caller's side: 4194304 bytes", FrameWriter.Credit(StreamId, fromInitiator: true, 4 * 1024 * 1024)),
            ("reset", "reset (type 5) from the caller's side: reason 2 (deadline exceeded)", FrameWriter.Reset(StreamId, fromInitiator: true, ResetReason.DeadlineExceeded)),
            ("unsupported-version", "unsupported version (type 6) from the callee's side: error `unsupported_api_version`, supported versions [2]", FrameWriter.UnsupportedVersion(StreamId, fromInitiator: false)),
            ("heartbeat", "heartbeat (type 7) from the caller's side, stream id all zeros: lists the vectors' stream id and `0192d7e4-1c2b-7a3d-8e4f-000000000002`",
                FrameWriter.Heartbeat([StreamId, Guid.Parse("0192d7e4-1c2b-7a3d-8e4f-000000000002")])),
        };

        var readme = new StringBuilder();
        readme.AppendLine("# Layer-2 frame vectors (frame version 2)");
        readme.AppendLine();
        readme.AppendLine("One frame per file, exactly as it rides in one layer-1 message; the layout is in");
        readme.AppendLine("[docs/protocol.md](../../protocol.md#http-streams-layer-2). Unless the table says otherwise the");
        readme.AppendLine($"stream id is `{StreamId}` (bytes `{Convert.ToHexString(StreamId.ToByteArray(bigEndian: true)).ToLowerInvariant()}`).");
        readme.AppendLine("Frames of up to 64 bytes are shown in hex.");
        readme.AppendLine();
        readme.AppendLine("Written by `dotnet run -c Release --project bench/Relay.Benchmarks -- frame-vectors docs/vectors/frames`;");
        readme.AppendLine("the codecs are deterministic, so a run with the same LZ4 and Brotli versions writes the same bytes. `tests/Relay.HttpProxy.Tests/Protocol/FrameVectorTests.cs` decodes each one.");
        readme.AppendLine();
        readme.AppendLine("| file | bytes | flags | frame | hex |");
        readme.AppendLine("|---|---|---|---|---|");
        foreach (var (name, describes, frame) in vectors)
        {
            File.WriteAllBytes(Path.Combine(directory, name + ".bin"), frame);
            var hex = frame.Length <= 64 ? $"`{Convert.ToHexString(frame).ToLowerInvariant()}`" : "";
            readme.AppendLine($"| `{name}.bin` | {frame.Length} | `0x{frame[2]:x2}` | {describes} | {hex} |");
            output.WriteLine($"{name}.bin: {frame.Length} bytes");
        }

        File.WriteAllText(Path.Combine(directory, "README.md"), readme.ToString());
        return 0;
    }

    private static byte[] Build(Action<OutgoingFrame> begin, byte[] body, BodyCodec codec, long? end)
    {
        using var frame = new OutgoingFrame();
        using var encoder = new BodyEncoder(codec);
        begin(frame);
        frame.AppendBody(new ReadOnlySequence<byte>(body), encoder);
        if (end is { } total)
        {
            frame.EndBody(total);
        }

        return frame.Memory.ToArray();
    }
}
