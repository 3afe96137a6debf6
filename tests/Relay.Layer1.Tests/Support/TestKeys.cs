using Relay.Layer1.Identity;

namespace Relay.Layer1.Tests.Support;

/// <summary>Key pairs generated once per test run, shared by the tests that need no keys of their own.</summary>
internal static class TestKeys
{
    private static readonly Lazy<NodeKeyPair> SiteAKeys = new(() => NodeKeyPair.Generate("site-a"));
    private static readonly Lazy<NodeKeyPair> SiteBKeys = new(() => NodeKeyPair.Generate("site-b"));
    private static readonly Lazy<NodeKeyPair> ForgedSiteAKeys = new(() => NodeKeyPair.Generate("site-a"));
    private static readonly Lazy<NodeKeyPair> StrangerKeys = new(() => NodeKeyPair.Generate("stranger"));
    private static readonly Lazy<NodeKeyPair> SiteCKeys = new(() => NodeKeyPair.Generate("site-c"));

    public static NodeKeyPair SiteA => SiteAKeys.Value;

    public static NodeKeyPair SiteB => SiteBKeys.Value;

    public static NodeKeyPair SiteC => SiteCKeys.Value;

    /// <summary>A node that claims to be site-a but holds its own keys.</summary>
    public static NodeKeyPair ForgedSiteA => ForgedSiteAKeys.Value;

    public static NodeKeyPair Stranger => StrangerKeys.Value;
}
