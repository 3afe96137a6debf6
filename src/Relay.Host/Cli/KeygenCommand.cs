using System.CommandLine;
using System.IO.Abstractions;
using Relay.Layer1.Identity;

namespace Relay.Host.Cli;

/// <summary><c>relay keygen --node ID --out DIR</c>: a node's key pair as two JWK sets.</summary>
internal static class KeygenCommand
{
    public static Command Create(IFileSystem fileSystem)
    {
        var node = new Option<string>("--node") { Description = "The node's id: " + NodeId.Rule + ".", Required = true };
        node.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!NodeId.IsValid(value))
            {
                result.AddError($"--node '{value}' is not a valid node id: {NodeId.Rule}.");
            }
        });
        var output = new Option<string>("--out") { Description = "Folder to write ID.private.json and ID.public.json to.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace key files that already exist." };

        var command = new Command("keygen", "Generate a node's signing and encryption keys.") { node, output, force };
        command.SetAction(parseResult =>
        {
            var id = parseResult.GetValue(node)!;
            var directory = fileSystem.Path.GetFullPath(parseResult.GetValue(output)!);
            var privatePath = fileSystem.Path.Combine(directory, id + ".private.json");
            if (fileSystem.File.Exists(privatePath) && !parseResult.GetValue(force))
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"{privatePath} already exists; pass --force to replace it (peers holding the old public key will reject the new one).");
                return 1;
            }

            using var keys = NodeKeyPair.Generate(id);
            var (privateKeyPath, publicKeyPath) = keys.Save(fileSystem, directory);
            var writer = parseResult.InvocationConfiguration.Output;
            writer.WriteLine($"private keys: {privateKeyPath} (keep on this node only)");
            writer.WriteLine($"public keys:  {publicKeyPath} (give to peers)");
            writer.WriteLine($"signing key id:    {keys.PublicKeys.SigningKeyId}");
            writer.WriteLine($"encryption key id: {keys.PublicKeys.EncryptionKeyId}");
            return 0;
        });
        return command;
    }
}
