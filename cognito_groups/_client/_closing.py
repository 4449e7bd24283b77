"""Bases for the objects that hold something to release: ``with`` / ``async with`` close them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncClosing", "Closing"]


class Closing:
    """``close()`` on leaving a ``with`` block; subclasses say what closing means."""

    __slots__ = ()

    def close(self) -> None:
        """Release what this object holds (nothing, unless a subclass says otherwise)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClosing:
    """``await aclose()`` on leaving an ``async with`` block: `Closing`, awaited."""

    __slots__ = ()

    async def aclose(self) -> None:
        """Release what this object holds (nothing, unless a subclass says otherwise)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
