// What a path is, asked of the kernel (statx) without opening it: .NET tells only files from folders, and opening a
// named pipe to find out more blocks until some other process writes to it (a FIFO in a class folder hung prepare and
// train for ever). Also a folder's identity (device and inode), which tells a folder reached through a symbolic link
// from the folders it is inside. Linux only (statx: glibc 2.28, Linux 4.11); elsewhere nothing is known (null), and
// callers go on as they did without it.
using System.Runtime.InteropServices;

namespace ConvNet.IO;

public enum FileKind { Regular, Directory, NamedPipe, CharacterDevice, BlockDevice, Socket, Other }

public readonly record struct FileStatus(FileKind Kind, ulong DeviceMajor, ulong DeviceMinor, ulong Inode)
{
    /// <summary>The file <paramref name="path"/> names, symbolic links followed; null when it does not exist, cannot
    /// be examined (no permission to search a folder on the way) or the system has no statx.</summary>
    public static FileStatus? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return LinuxStat.Of(path);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Whether two statuses are of the same file (the same folder reached by two paths).</summary>
    public bool SameFileAs(FileStatus other) => (DeviceMajor, DeviceMinor, Inode) == (other.DeviceMajor, other.DeviceMinor, other.Inode);

    /// <summary>The kind in words, for messages: "a named pipe".</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.NamedPipe => "a named pipe",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "not a file",
    };
}

internal static unsafe partial class LinuxStat
{
    private const int AtCurrentDirectory = -100, TypeAndInode = 0x1 | 0x100; // AT_FDCWD, STATX_TYPE | STATX_INO
    // struct statx is 256 bytes on every Linux architecture, its fields at fixed offsets.
    private const int Size = 256, ModeOffset = 28, InodeOffset = 32, DeviceMajorOffset = 136, DeviceMinorOffset = 140;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    public static FileStatus? Of(string path)
    {
        byte* buffer = stackalloc byte[Size];
        if (Statx(AtCurrentDirectory, path, 0, TypeAndInode, buffer) != 0) return null;
        int mode = *(ushort*)(buffer + ModeOffset) & 0xF000; // S_IFMT
        var kind = mode switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.NamedPipe,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
        return new FileStatus(kind, *(uint*)(buffer + DeviceMajorOffset), *(uint*)(buffer + DeviceMinorOffset), *(ulong*)(buffer + InodeOffset));
    }
}
