using Relay.Host.Status;
using Relay.Tests.Shared;

namespace Relay.Host.Tests.Status;

/// <summary>The status file is replaced whole or not at all: a reader never sees half of one, and a failed write leaves no litter.</summary>
public sealed class StatusFileTests
{
    private const string State = "/state/site-a";

    [Fact]
    public void RenameThatThrows_KeepsThePreviousStatus_AndRemovesTheTemporaryFile()
    {
        var fileSystem = new FaultyFileSystem();
        fileSystem.Directory.CreateDirectory(State);
        StatusFile.Write(fileSystem, State, Status(NodeStates.Running));

        fileSystem.FailRenames(1);
        Assert.Throws<IOException>(() => StatusFile.Write(fileSystem, State, Status(NodeStates.Stopped)));

        Assert.Equal(NodeStates.Running, StatusFile.Read(fileSystem, State)!.State);
        Assert.Equal([StatusFile.PathIn(State)], fileSystem.Directory.GetFiles(State));
    }

    [Fact]
    public void FullDiskPartWay_KeepsThePreviousStatus_AndRemovesThePartialFile()
    {
        var fileSystem = new FaultyFileSystem();
        fileSystem.Directory.CreateDirectory(State);
        StatusFile.Write(fileSystem, State, Status(NodeStates.Running));

        fileSystem.FailWrites(1, bytesBeforeFailure: 10);
        var failure = Assert.Throws<IOException>(() => StatusFile.Write(fileSystem, State, Status(NodeStates.Stopped)));

        Assert.Equal(FaultyFileSystem.DiskFullHResult, failure.HResult);
        Assert.Equal(NodeStates.Running, StatusFile.Read(fileSystem, State)!.State);
        Assert.Equal([StatusFile.PathIn(State)], fileSystem.Directory.GetFiles(State));

        // Once there is room again, the next write goes through.
        StatusFile.Write(fileSystem, State, Status(NodeStates.Stopped));
        Assert.Equal(NodeStates.Stopped, StatusFile.Read(fileSystem, State)!.State);
    }

    private static NodeStatusDocument Status(string state) =>
        new("site-a", DateTimeOffset.UnixEpoch, Ingress: true, Egress: false, [], 0, 0, new Dictionary<string, long>()) { State = state };
}
