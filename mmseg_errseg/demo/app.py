"""The demo page (Gradio): segment an uploaded image with a typed vocabulary, on a :class:`DemoSession`."""
import os
from typing import Optional

os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')  # the page talks to nothing but its server
import gradio as gr  # noqa: E402

from ..datasets.benchmarks import BENCHMARKS  # noqa: E402
from .session import EXAMPLES, DemoSession  # noqa: E402

__all__ = ['build_app', 'launch']

_OWN = 'own'


def _model_banner(session: DemoSession) -> str:
    if session.random_weights:
        return (f'**No checkpoint given: this is `{session.model_name}` with random weights**, so the '
                'segmentation is meaningless; it shows how the page works. For real results start '
                '`errseg demo --checkpoint CKPT` with an ERR-Seg checkpoint (`errseg convert-official`).')
    return f'Model: `{session.model_name}` on `{next(session.inferencer.model.parameters()).device}`.'


def build_app(session: DemoSession) -> gr.Blocks:
    """The demo page, not yet launched; every request runs on ``session`` (one at a time)."""
    default_p = session.default_num_selected

    def segment(image: Optional[dict], vocabulary: str, num_selected):
        # raw payloads (preprocess=False): the image is decoded as `errseg infer` does, with our messages
        if not image or not image.get('path'):
            raise gr.Error('No image: upload, paste or pick an example photo first', print_exception=False)
        name = image.get('orig_name') or os.path.basename(image['path'])
        try:
            result = session.segment(image['path'], name, vocabulary, num_selected)
        except ValueError as e:
            raise gr.Error(str(e), print_exception=False) from None
        for note in result.notes:
            gr.Warning(note)
        return result.overlay, result.areas, result.kept, result.files, '\n'.join(f'- {n}' for n in result.notes)

    def pick_vocabulary(choice: str, text: str, num_selected):
        return (text, 0) if choice == _OWN else session.shipped_vocabulary(choice)

    with gr.Blocks(title='ERR-Seg demo', analytics_enabled=False) as app:
        gr.Markdown('# ERR-Seg: segment your image with your own words\n' + _model_banner(session))
        with gr.Row():
            with gr.Column():
                image = gr.Image(label='Image (upload, paste or an example below)', type='filepath',
                                 sources=['upload', 'clipboard'], elem_id='image')
                choice = gr.Dropdown(
                    [('Your own (type below)', _OWN)] + [(f'{b.title} ({b.num_classes} classes)', name)
                                                         for name, b in BENCHMARKS.items()],
                    value=_OWN, label='Vocabulary', elem_id='choice')
                vocabulary = gr.Textbox(
                    label='Class names: separated by commas ("cat, grass, sky"); with synonyms, classes '
                    'separated by semicolons ("cat; sofa, couch; floor")', lines=2, max_lines=6,
                    elem_id='vocabulary')
                num_selected = gr.Number(
                    0, label=f'P: classes kept per image, at most the vocabulary size (0: the default, '
                    f"{default_p}, clamped to the vocabulary; a dataset vocabulary sets its dataset's P)",
                    precision=0, minimum=0, elem_id='num_selected')
                run = gr.Button('Segment', variant='primary', elem_id='segment')
                gr.Examples(EXAMPLES, [image, vocabulary], label='Example photos')
            with gr.Column():
                overlay = gr.Image(label='Segmentation (legend: the classes present)', format='png',
                                   interactive=False, elem_id='overlay')
                notes = gr.Markdown(elem_id='notes')
                kept = gr.Dataframe(label='Classes kept by class selection (RRHC), with their scores R(t)',
                                    interactive=False, elem_id='kept')
                areas = gr.Dataframe(label='Area per class (click a header to sort)', interactive=False,
                                     elem_id='areas')
                files = gr.File(label='Label map (PNG: pixel value i = class i of the vocabulary) and '
                                'area table (CSV)', file_count='multiple', interactive=False, elem_id='files')
        gr.on([run.click, vocabulary.submit], segment, [image, vocabulary, num_selected],
              [overlay, areas, kept, files, notes], api_name='segment', preprocess=False,
              concurrency_limit=1)
        choice.change(pick_vocabulary, [choice, vocabulary, num_selected], [vocabulary, num_selected],
                      api_name='vocabulary', queue=False)
    return app.queue(default_concurrency_limit=1)  # one model: requests wait their turn


def launch(app: gr.Blocks, host: str = '127.0.0.1', port: Optional[int] = None, share: bool = False,
           block: bool = True) -> str:
    """Serve ``app`` and return its URL; with ``block=False`` return once the server is up (tests)."""
    theme = gr.themes.Default(font=['ui-sans-serif', 'system-ui', 'sans-serif'],  # system fonts: no web fonts
                              font_mono=['ui-monospace', 'Consolas', 'monospace'])
    app.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=not block, quiet=not block,
               footer_links=['api'], theme=theme)
    return app.local_url
