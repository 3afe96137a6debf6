using System.IO.Abstractions.TestingHelpers;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;
using Relay.Layer1.State;

namespace Relay.Layer1.Tests.Channels;

public sealed class OutgoingFileTests
{
    private static readonly AckState NoAck = new(1, 0, []);

    [Fact]
    public void SpooledFragment_DropsItsBytesOnceWritten_AndAResendReadsThemFromTheSpool()
    {
        var fileSystem = new MockFileSystem();
        var spool = new MessageSpool(fileSystem, "/state", "peer");
        var message = new byte[300_000];
        new Random(7).NextBytes(message);
        spool.Write(firstSequence: 5, message);
        var fragment = OutboundFragment.Spooled(6, FragmentFlags.Last, lamportTime: 9, spoolFirstSequence: 5, spoolOffset: 100_000, length: 200_000, message.AsSpan(100_000));

        var first = OutgoingFile.Build(NoAck, [fragment], spool);

        Assert.False(fragment.IsLoaded);
        Assert.Equal(200_000, fragment.DataLength);
        var resent = OutgoingFile.Build(NoAck, [fragment], spool);
        var written = Assert.Single(Fragments(first));
        var read = Assert.Single(Fragments(resent));
        Assert.Equal(6, written.Sequence);
        Assert.Equal(6, read.Sequence);
        Assert.Equal(message.AsSpan(100_000).ToArray(), written.Data);
        Assert.Equal(message.AsSpan(100_000).ToArray(), read.Data);
    }

    [Fact]
    public void InlineFragment_KeepsItsBytes()
    {
        var fragment = new OutboundFragment(1, FragmentFlags.First | FragmentFlags.Last, 1, new byte[] { 1, 2, 3 });

        OutgoingFile.Build(NoAck, [fragment], new MessageSpool(new MockFileSystem(), "/state", "peer"));

        Assert.True(fragment.IsLoaded);
        Assert.Equal(new byte[] { 1, 2, 3 }, fragment.Data.ToArray());
    }

    private static List<(long Sequence, byte[] Data)> Fragments(OutgoingFile file)
    {
        var fragments = new List<ReceivedFragment>();
        Assert.Null(BodyRecords.TryRead(file.Body.AsMemory(0, file.BodyLength), fragments, out _));
        return fragments.Select(f => (f.Sequence, f.Data.ToArray())).ToList();
    }
}
