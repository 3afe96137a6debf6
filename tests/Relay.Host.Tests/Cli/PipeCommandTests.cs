namespace Relay.Host.Tests.Cli;

public sealed class PipeCommandTests : CliTestFolder
{
    [Fact]
    public async Task Pipe_MovesFilesUntilStopped_ThenPrintsItsCounters()
    {
        var from = Directory.CreateDirectory(Path.Combine(Folder, "from")).FullName;
        var to = Directory.CreateDirectory(Path.Combine(Folder, "to")).FullName;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var run = new CommandLineRun();
        var piping = run.InvokeAsync(["pipe", "--from", from, "--to", to, "--seed", "7"], stop.Token);

        for (var i = 0; i < 5; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(from, $".f{i}.partial"), $"file {i}");
            File.Move(Path.Combine(from, $".f{i}.partial"), Path.Combine(from, $"f{i}.relay"));
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.GetFiles(to).Length < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        Assert.Equal(0, await piping);
        Assert.Equal("file 3", await File.ReadAllTextAsync(Path.Combine(to, "f3.relay")));
        Assert.Contains("seen 5, delivered 5, lost 0", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--loss", "1.5")]
    [InlineData("--corrupt", "-0.1")]
    public async Task Pipe_RefusesABadProbabilityNamingTheOption(string option, string value)
    {
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["pipe", "--from", Folder, "--to", Folder, option, value]);

        Assert.NotEqual(0, exit);
        Assert.Contains($"{option} must be a probability between 0 and 1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipe_RefusesANegativeDelay()
    {
        using var run = new CommandLineRun();
        Assert.NotEqual(0, await run.InvokeAsync(["pipe", "--from", Folder, "--to", Folder, "--delay-ms", "-5"]));
        Assert.Contains("--delay-ms must not be negative", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--sweep-every", "soon", "--sweep-every must be a duration")]
    [InlineData("--latency", "-2s", "--latency must be a duration")]
    [InlineData("--bandwidth", "fast", "--bandwidth must be a size")]
    [InlineData("--max-file-bytes", "500XB", "--max-file-bytes must be a size")]
    public async Task Pipe_RefusesABadLinkSettingNamingTheOption(string option, string value, string message)
    {
        using var run = new CommandLineRun();
        Assert.NotEqual(0, await run.InvokeAsync(["pipe", "--from", Folder, "--to", Folder, option, value]));
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipe_RefusesOneWayWithoutAReverseDirection()
    {
        using var run = new CommandLineRun();
        Assert.NotEqual(0, await run.InvokeAsync(["pipe", "--from", Folder, "--to", Folder, "--one-way"]));
        Assert.Contains("--one-way blocks the reverse direction", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneWayPipe_CutsBigFiles_AndDiscardsEverythingGoingBack()
    {
        var from = Directory.CreateDirectory(Path.Combine(Folder, "from")).FullName;
        var to = Directory.CreateDirectory(Path.Combine(Folder, "to")).FullName;
        var backFrom = Directory.CreateDirectory(Path.Combine(Folder, "back-from")).FullName;
        var backTo = Directory.CreateDirectory(Path.Combine(Folder, "back-to")).FullName;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var run = new CommandLineRun();
        var piping = run.InvokeAsync(
            ["pipe", "--from", from, "--to", to, "--back-from", backFrom, "--back-to", backTo, "--one-way", "--max-file-bytes", "1KiB", "--latency", "10ms", "--seed", "3"],
            stop.Token);

        await File.WriteAllBytesAsync(Path.Combine(from, ".big.partial"), new byte[3000]);
        File.Move(Path.Combine(from, ".big.partial"), Path.Combine(from, "big.relay"));
        await File.WriteAllTextAsync(Path.Combine(backFrom, ".ack.partial"), "ack");
        File.Move(Path.Combine(backFrom, ".ack.partial"), Path.Combine(backFrom, "ack.relay"));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((!File.Exists(Path.Combine(to, "big.relay")) || File.Exists(Path.Combine(backFrom, "ack.relay"))) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        Assert.Equal(0, await piping);
        Assert.Equal(1024, new FileInfo(Path.Combine(to, "big.relay")).Length);
        Assert.Empty(Directory.GetFiles(backFrom));
        Assert.Empty(Directory.GetFiles(backTo));
        Assert.Contains("cut to size 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("bytes offered 3000, delivered 1024", run.Output, StringComparison.Ordinal);
        Assert.Contains("back: seen 1, delivered 0", run.Output, StringComparison.Ordinal);
        Assert.Contains("blocked 1", run.Output, StringComparison.Ordinal);
    }
}
