using System.Buffers;
using System.IO.Abstractions;
using System.Net;
using System.Text;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1;
using Relay.Layer1.Faults;
using Relay.Layer1.Identity;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>What crosses the relay and how: headers, lengths, broken bodies, compression, fairness, idempotency keys, forged files.</summary>
public sealed class HttpSemanticsTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task HopByHopHeadersAreDropped_ForwardingHeadersAndAnIdempotencyKeyAdded()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/svc/echo/h?x=1");
        request.Headers.Add("X-Tag", "h");
        request.Headers.Add("X-Remove-Me", "secret");
        request.Headers.Connection.Add("X-Remove-Me");
        request.Headers.Add("X-Keep", "kept");
        using var response = await _relay.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();

        var seen = _callee.SeenHeaders["h"];
        Assert.False(seen.ContainsKey("X-Remove-Me"));
        Assert.Equal("kept", seen["X-Keep"].ToString());
        Assert.Equal(new Uri(_callee.BaseUrl).Authority, seen.Host.ToString());
        Assert.Equal($"for=127.0.0.1;host=\"{_relay.Ingress.Authority}\";proto=http", seen["Forwarded"].ToString());
        Assert.Equal("127.0.0.1", seen["X-Forwarded-For"].ToString());
        Assert.Equal(_relay.Ingress.Authority, seen["X-Forwarded-Host"].ToString());
        Assert.Equal("http", seen["X-Forwarded-Proto"].ToString());
        Assert.Matches("^\"[0-9a-f-]{36}\"$", seen["Idempotency-Key"].ToString());
    }

    [Fact]
    public async Task RequestBodies_KeepTheirFraming()
    {
        var body = Encoding.UTF8.GetBytes(new string('b', 100_000));
        using (var sized = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/sized") { Content = new ByteArrayContent(body) })
        {
            sized.Headers.Add("X-Tag", "sized");
            using var response = await _relay.Client.SendAsync(sized);
            Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        }

        using (var chunked = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/chunked") { Content = new StreamContent(new MemoryStream(body)) })
        {
            chunked.Headers.Add("X-Tag", "chunked");
            chunked.Headers.TransferEncodingChunked = true;
            using var response = await _relay.Client.SendAsync(chunked);
            Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), _callee.SeenHeaders["sized"].ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(_callee.SeenHeaders["chunked"].ContentLength);
        Assert.Equal("chunked", _callee.SeenHeaders["chunked"].TransferEncoding.ToString());
    }

    [Fact]
    public async Task ResponseBodies_KeepTheirFraming()
    {
        using var sized = await _relay.Client.GetAsync("/svc/download/3000000");
        Assert.Equal(3_000_000, sized.Content.Headers.ContentLength);
        Assert.Equal(3_000_000, (await sized.Content.ReadAsByteArrayAsync()).Length);

        using var chunked = await _relay.Client.GetAsync("/svc/download/3000000?chunked=1", HttpCompletionOption.ResponseHeadersRead);
        Assert.Null(chunked.Content.Headers.ContentLength);
        Assert.True(chunked.Headers.TransferEncodingChunked);
        Assert.Equal(3_000_000, (await chunked.Content.ReadAsByteArrayAsync()).Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("&chunked=1")]
    public async Task ResponseBrokenMidway_AbortsTheCallersResponse_NeverEndsItCleanly(string framing)
    {
        using var response = await _relay.Client.GetAsync($"/svc/download/10000000?breakAt=3000000{framing}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        await Assert.ThrowsAnyAsync<IOException>(() => body.CopyToAsync(Stream.Null));
    }

    [Fact]
    public async Task CompressibleBodies_AreBrotliOnTheChannel_UnlessTheRouteTurnsItOff()
    {
        const int length = 4_000_000;
        long WrittenByB() => _relay.NodeB.GetStatus().Peers.Single().FileBytesWritten;

        var before = WrittenByB();
        var compressed = await _relay.Client.GetStringAsync($"/svc/text/{length}");
        var compressedBytes = WrittenByB() - before;
        before = WrittenByB();
        var raw = await _relay.Client.GetStringAsync($"/raw/text/{length}");
        var rawBytes = WrittenByB() - before;

        Assert.Equal(raw, compressed);
        Assert.Equal(length, raw.Length);
        Assert.True(compressedBytes < length / 4, $"{compressedBytes} bytes on the channel for {length} compressible bytes");
        Assert.True(rawBytes > length, $"{rawBytes} bytes on the channel for {length} bytes sent as they are");
    }

    [Fact]
    public async Task SmallRequests_KeepFlowing_WhileLargeTransfersFillTheirWindows()
    {
        // A 1 GiB download whose caller reads nothing, and a 1 GiB upload whose callee... never finishes: both stall with full windows.
        using var stalledDownload = await _relay.Client.GetAsync("/svc/download/1073741824", HttpCompletionOption.ResponseHeadersRead);
        using var uploadCancel = new CancellationTokenSource();
        var upload = _relay.Client.PostAsync("/raw/upload", new StreamContent(new PatternStream(1L << 30)), uploadCancel.Token);
        await Task.Delay(200);

        var small = Enumerable.Range(0, 50).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/svc/echo/small{i}") { Content = new StringContent($"small {i}") };
            request.Headers.Add("X-Tag", $"small{i}");
            using var response = await _relay.Client.SendAsync(request);
            Assert.Equal($"small {i}", await response.Content.ReadAsStringAsync());
        });
        await Task.WhenAll(small).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(upload.IsCompleted, "the upload finished before the small requests: nothing was tested");
        await uploadCancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
    }

    [Fact]
    public async Task RepeatedIdempotencyKey_IsAnsweredFromTheKeptResponse_WithoutCallingTheCalleeAgain()
    {
        async Task<HttpResponseMessage> SendAsync(string path, string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body) };
            request.Headers.Add("X-Tag", "keyed");
            request.Headers.Add("Idempotency-Key", "\"order-42\"");
            return await _relay.Client.SendAsync(request);
        }

        using var first = await SendAsync("/svc/echo/order?status=201", "the order");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var repeat = await SendAsync("/svc/echo/order?status=201", "the order");
        Assert.Equal(HttpStatusCode.Created, repeat.StatusCode);
        Assert.Equal("the order", await repeat.Content.ReadAsStringAsync());
        Assert.Equal("true", repeat.Headers.GetValues("Relay-Replayed").Single());
        Assert.Equal(1, _callee.Arrivals["keyed"]);

        using var misuse = await SendAsync("/svc/echo/other", "another order");
        await Problem.AssertAsync(misuse, 422, "idempotency-key-reused");
        Assert.Equal(1, _callee.Arrivals["keyed"]);
    }

    [Fact]
    public async Task RepeatedIdempotencyKey_IsAnsweredFromTheKeptResponse_AfterTheExitNodeRestarts()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/kept") { Content = new StringContent("kept") };
        request.Headers.Add("X-Tag", "kept");
        request.Headers.Add("Idempotency-Key", "\"kept-1\"");
        using var first = await _relay.Client.SendAsync(request);
        first.EnsureSuccessStatusCode();

        await _relay.RestartBAsync();

        using var again = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/kept") { Content = new StringContent("kept") };
        again.Headers.Add("X-Tag", "kept");
        again.Headers.Add("Idempotency-Key", "\"kept-1\"");
        using var repeat = await _relay.Client.SendAsync(again);
        Assert.Equal("kept", await repeat.Content.ReadAsStringAsync());
        Assert.Equal("true", repeat.Headers.GetValues("Relay-Replayed").Single());
        Assert.Equal(1, _callee.Arrivals["kept"]);
    }

    [Fact]
    public async Task FilesFromANodeForgingTheEntrysId_AreRejected_AndNeverReachTheCallee()
    {
        var fileSystem = new FileSystem();
        using var forged = NodeKeyPair.Generate("site-a");
        var realB = PeerPublicKeys.Load(fileSystem, Path.Combine(_relay.Folder, "keys", "site-b.public.json"));
        var options = new Layer1Options
        {
            StateDirectory = Path.Combine(_relay.Folder, "forger-state"),
            Outbox = _relay.OptionsB.Exchange.Inbox,
            Inbox = Path.Combine(_relay.Folder, "forger-in"),
        };
        await using (var forger = Layer1Node.Open(options, forged, [realB]))
        {
            var head = new RequestHead("POST", _callee.BaseUrl + "echo/forged", HeaderList.FromNamesAndValues(["X-Tag", "forged"]), 6, true, 10_000, BodyCodec.None, "127.0.0.1", "x", "http");
            using var frame = new OutgoingFrame();
            using var encoder = new BodyEncoder(BodyCodec.None);
            frame.BeginRequest(Guid.NewGuid(), head);
            frame.AppendBody(new ReadOnlySequence<byte>("forged"u8.ToArray()), encoder);
            frame.EndBody(6);
            await forger.SendAsync("site-b", frame.Memory);
            await WaitForRejectionAsync(FileRejectReason.BadSignature);
        }

        using var genuine = new HttpRequestMessage(HttpMethod.Get, "/svc/echo/genuine");
        genuine.Headers.Add("X-Tag", "genuine");
        using var response = await _relay.Client.SendAsync(genuine);
        response.EnsureSuccessStatusCode();
        Assert.False(_callee.Arrivals.ContainsKey("forged"));
    }

    private async Task WaitForRejectionAsync(FileRejectReason reason)
    {
        for (var i = 0; i < 200; i++)
        {
            if (_relay.NodeB.GetStatus().Peers.Single().RejectedFiles.GetValueOrDefault(reason.ToString()) > 0)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"site-b never rejected a file as {reason}");
    }
}
