using System.Text;

namespace Sysprint.TestSupport;

/// <summary>A fresh temporary directory, deleted with everything in it on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "sysprint-tests-")
    {
        Root = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    /// <summary>The directory; everything a test writes goes below it.</summary>
    public string Root { get; }

    /// <summary>The path of <paramref name="name"/> (which may hold folders) below <see cref="Root"/>.</summary>
    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark, creating folders; returns the path.</summary>
    public string Write(string name, string text) => WriteBytes(name, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Writes <paramref name="bytes"/>, creating folders; returns the path.</summary>
    public string WriteBytes(string name, byte[] bytes)
    {
        string path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
