def render_pptx(pack, progress=None): raise NotImplementedError
