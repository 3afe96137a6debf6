namespace Relay.Layer1.Format;

/// <summary>Where a fragment sits in its message: a message is the run of fragments from First to Last.</summary>
[Flags]
internal enum FragmentFlags : byte
{
    None = 0,
    First = 1,
    Last = 2,
    Whole = First | Last,
}
