package dev.engram.memorization.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Converter of every command's {@code --run DIR}: the folder need not exist, but a path that is (or lies under) an
 * existing file is a usage error when the command line is parsed, before the command does anything.
 */
final class RunFolderOption implements ITypeConverter<Path> {
    @Override
    public Path convert(String value) {
        Path p = Path.of(value);
        for (Path q = p.toAbsolutePath(); q != null; q = q.getParent()) {
            if (!Files.exists(q)) continue;
            if (Files.isDirectory(q)) return p;
            throw new TypeConversionException(q.equals(p.toAbsolutePath())
                    ? value + " is a file, not a folder"
                    : value + " lies under " + q + ", which is a file, not a folder");
        }
        return p;
    }
}
