using System.Net;
using System.Runtime.Versioning;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// What a node keeps on disk (state, spooled messages, kept responses, async responses, the
/// SQLite WAL and shared-memory files) holds plaintext headers and bodies: owner-only, 0600 in 0700.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FileModeTests : LosslessRelayTest
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task EveryFileANodeKeeps_IsOwnerOnly()
    {
        // A body large enough to be spooled, a response kept for an idempotency key, and one kept for a poll.
        using (var keyed = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/keyed") { Content = new ByteArrayContent(new byte[512 * 1024]) })
        {
            keyed.Headers.Add("Idempotency-Key", "\"mode-test\"");
            keyed.Headers.Add("Authorization", "Bearer secret");
            using var response = await Relay.Client.SendAsync(keyed);
            response.EnsureSuccessStatusCode();
        }

        using (var later = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/later") { Content = new ByteArrayContent(new byte[200 * 1024]) })
        {
            later.Headers.Add("Prefer", "respond-async");
            using var accepted = await Relay.Client.SendAsync(later);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            await WaitForKeptResponseAsync(accepted.Headers.Location!);
        }

        var stateDirectories = new[] { Relay.OptionsA.Node.StateDirectory, Relay.OptionsB.Node.StateDirectory };
        var files = stateDirectories.SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)).ToList();
        var folders = stateDirectories.Concat(stateDirectories.SelectMany(d => Directory.EnumerateDirectories(d, "*", SearchOption.AllDirectories))).ToList();

        // The kinds of file this test is about must all be there, or it proves nothing.
        Assert.Contains(files, f => f.EndsWith(".db-wal", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(".db-shm", StringComparison.Ordinal));
        Assert.Contains(files, f => Path.GetFileName(Path.GetDirectoryName(f)) == "responses");
        Assert.Contains(folders, f => Path.GetFileName(f) == "async");
        Assert.Contains(files, f => Path.GetFileName(Path.GetDirectoryName(f)) == "async");
        Assert.Contains(folders, f => Path.GetFileName(Path.GetDirectoryName(f)) == "spool");
        Assert.All(files, f => Assert.True((File.GetUnixFileMode(f) & GroupOrOther) == 0, $"{f} is {File.GetUnixFileMode(f)}"));
        Assert.All(folders, f => Assert.True((File.GetUnixFileMode(f) & GroupOrOther) == 0, $"{f} is {File.GetUnixFileMode(f)}"));
    }

    private async Task WaitForKeptResponseAsync(Uri location)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var poll = await Relay.Client.GetAsync(location);
            if (poll.StatusCode != HttpStatusCode.Accepted)
            {
                poll.EnsureSuccessStatusCode();
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the response never came");
    }
}
