using System.Security.Cryptography;
using Sysprint.Diagnostics;

namespace Sysprint.Integrity;

/// <summary>
/// The administrator's ECDSA P-256 key pair: the private key in a PEM file created owner-only,
/// the public half beside it as <c>KEYFILE.pub</c>. Keys are kept outside the store, so whoever
/// can write the store cannot re-seal it.
/// </summary>
public static class SealKeys
{
    /// <summary>Loads the private key, creating the pair when the file does not exist.</summary>
    public static ECDsa LoadOrCreatePrivate(string path, out bool created)
    {
        ArgumentNullException.ThrowIfNull(path);
        created = false;
        if (!File.Exists(path))
        {
            using ECDsa fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            WriteOwnerOnly(path, fresh.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(path + ".pub", fresh.ExportSubjectPublicKeyInfoPem());
            created = true;
        }

        return Import(path, "private");
    }

    /// <summary>Loads a public key (<c>KEYFILE.pub</c>).</summary>
    public static ECDsa LoadPublic(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Import(path, "public");
    }

    /// <summary>Reads a PEM key file that only its owner may write; <paramref name="kind"/> names it in the error.</summary>
    private static ECDsa Import(string path, string kind)
    {
        RefuseWritableByOthers(path);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(Read(path));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new SysprintException(ErrorKind.MalformedInput, $"{path}: not an ECDSA {kind} key in PEM form ({e.Message})", e);
        }

        return key;
    }

    /// <summary>A short id of a key: the first 16 hex digits of the SHA-256 of its public half.</summary>
    public static string KeyId(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
    }

    /// <summary>A key or config that anyone may rewrite protects nothing: refuse it.</summary>
    public static void RefuseWritableByOthers(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
        {
            throw new SysprintException(ErrorKind.Untrusted,
                $"{path}: writable by group or others (mode {Convert.ToString((int)mode, 8)}): refusing to trust it; chmod go-w {path}");
        }
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read the key: {e.Message}", e);
        }
    }

    private static void WriteOwnerOnly(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}
