using System.Buffers;
using Relay.HttpProxy.Exit;
using Relay.Tests.Shared;

namespace Relay.HttpProxy.Tests.Exit;

/// <summary>Keeping a response body in a file: whole and committed, or not at all.</summary>
public sealed class ResponseFileTeeTests
{
    private const string Folder = "/state/responses";
    private const string Path = Folder + "/site-a-1.body";
    private readonly FaultyFileSystem _fileSystem = new();

    public ResponseFileTeeTests() => _fileSystem.Directory.CreateDirectory(Folder);

    [Fact]
    public void WholeBody_IsCommitted()
    {
        using (var tee = new ResponseFileTee(_fileSystem, Path, limit: 10))
        {
            tee.Append(Bytes(4));
            tee.Append(Bytes(6));
            Assert.True(tee.Commit());
            Assert.Null(tee.Failure);
        }

        Assert.Equal(10, _fileSystem.File.ReadAllBytes(Path).Length);
    }

    [Fact]
    public void OverTheLimit_IsNotKept_AndNoFileIsLeft()
    {
        using var tee = new ResponseFileTee(_fileSystem, Path, limit: 5);
        tee.Append(Bytes(4));
        tee.Append(Bytes(4));

        Assert.False(tee.Commit());
        Assert.False(_fileSystem.File.Exists(Path));
    }

    [Fact]
    public void FullDisk_DoesNotThrow_IsNotKept_AndNoFileIsLeft()
    {
        _fileSystem.FailWrites(1, bytesBeforeFailure: 3);
        using var tee = new ResponseFileTee(_fileSystem, Path, limit: 100);
        tee.Append(Bytes(2));
        tee.Append(Bytes(2));
        tee.Append(Bytes(2));

        Assert.False(tee.Commit());
        Assert.IsType<IOException>(tee.Failure);
        Assert.False(_fileSystem.File.Exists(Path));
    }

    [Fact]
    public void MissingFolder_DoesNotThrow_AndIsNotKept()
    {
        using var tee = new ResponseFileTee(_fileSystem, "/nowhere/site-a-1.body", limit: 100);
        tee.Append(Bytes(2));

        Assert.False(tee.Commit());
        Assert.NotNull(tee.Failure);
    }

    [Fact]
    public void NotCommitted_IsRemovedOnDispose()
    {
        using (var tee = new ResponseFileTee(_fileSystem, Path, limit: 100))
        {
            tee.Append(Bytes(2));
        }

        Assert.False(_fileSystem.File.Exists(Path));
    }

    [Fact]
    public void DeleteThatThrows_WhenAbandoning_DoesNotThrow()
    {
        _fileSystem.FailWrites(1);
        _fileSystem.FailDeletes(1);
        using var tee = new ResponseFileTee(_fileSystem, Path, limit: 100);
        tee.Append(Bytes(2));

        Assert.False(tee.Commit());
        Assert.Equal(1, _fileSystem.DeletesFailed);
    }

    private static ReadOnlySequence<byte> Bytes(int count) => new(Enumerable.Range(0, count).Select(i => (byte)i).ToArray());
}
