#include "ui/surface/SurfaceView.h"

#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QSurfaceFormat>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <vtkActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkCellPicker.h>
#include <vtkCommand.h>
#include <vtkFloatArray.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkIdTypeArray.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkLightKit.h>
#include <vtkLookupTable.h>
#include <vtkNew.h>
#include <vtkOutlineSource.h>
#include <vtkOpenGLFramebufferObject.h>
#include <vtkPlaneSource.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkSmartPointer.h>
#include <vtkStaticCellLocator.h>
#include <vtkUnsignedIntArray.h>

namespace mitoseg::ui {

struct PreparedSurface {
    vtkSmartPointer<vtkPolyData> poly;
    vtkSmartPointer<vtkStaticCellLocator> locator;
    std::uint32_t objectCount = 0;
};

std::shared_ptr<PreparedSurface> prepareSurface(const SurfaceMesh& mesh, std::uint32_t objectCount)
{
    auto out = std::make_shared<PreparedSurface>();
    out->objectCount = objectCount;
    const vtkIdType np = static_cast<vtkIdType>(mesh.pointCount());
    const vtkIdType nt = static_cast<vtkIdType>(mesh.triangleCount());
    if (nt == 0)
        return out;  // nothing to draw or pick

    vtkNew<vtkFloatArray> coords;
    coords->SetNumberOfComponents(3);
    coords->SetNumberOfTuples(np);
    if (np > 0)
        std::memcpy(coords->GetPointer(0), mesh.points.data(), mesh.points.size() * sizeof(float));
    vtkNew<vtkPoints> points;
    points->SetData(coords);

    vtkNew<vtkIdTypeArray> offsets;
    vtkNew<vtkIdTypeArray> connectivity;
    offsets->SetNumberOfValues(nt + 1);
    connectivity->SetNumberOfValues(3 * nt);
    for (vtkIdType t = 0; t <= nt; ++t)
        offsets->SetValue(t, 3 * t);
    for (vtkIdType i = 0; i < 3 * nt; ++i)
        connectivity->SetValue(i, mesh.triangles[static_cast<std::size_t>(i)]);
    vtkNew<vtkCellArray> cells;
    cells->SetData(offsets, connectivity);

    vtkNew<vtkUnsignedIntArray> ids;
    ids->SetName("ObjectId");
    ids->SetNumberOfValues(nt);
    if (nt > 0)
        std::memcpy(ids->GetPointer(0), mesh.triangleObject.data(), mesh.triangleObject.size() * sizeof(std::uint32_t));

    vtkNew<vtkPolyData> poly;
    poly->SetPoints(points);
    poly->SetPolys(cells);
    poly->GetCellData()->SetScalars(ids);

    // Smooth shading: point normals; our triangles are already wound outwards.
    vtkNew<vtkPolyDataNormals> normals;
    normals->SetInputData(poly);
    normals->SplittingOff();
    normals->ConsistencyOff();
    normals->AutoOrientNormalsOff();
    normals->ComputePointNormalsOn();
    normals->ComputeCellNormalsOff();
    normals->Update();
    out->poly = normals->GetOutput();

    out->locator = vtkSmartPointer<vtkStaticCellLocator>::New();
    out->locator->SetDataSet(out->poly);
    out->locator->BuildLocator();
    return out;
}

void setDefaultSurfaceFormat()
{
    QSurfaceFormat format;
    format.setRenderableType(QSurfaceFormat::OpenGL);
    format.setVersion(3, 2);
    format.setProfile(QSurfaceFormat::CoreProfile);
    format.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
    format.setRedBufferSize(8);
    format.setGreenBufferSize(8);
    format.setBlueBufferSize(8);
    format.setDepthBufferSize(24);
    format.setStencilBufferSize(8);
    format.setAlphaBufferSize(8);
    format.setSamples(0);  // VTK multisamples in its own framebuffer
    QSurfaceFormat::setDefaultFormat(format);
}

struct SurfaceView::Impl {
    SurfaceView* self = nullptr;
    vtkNew<vtkGenericOpenGLRenderWindow> window;
    vtkNew<vtkRenderer> renderer;
    vtkNew<vtkGenericRenderWindowInteractor> interactor;
    vtkNew<vtkInteractorStyleTrackballCamera> style;
    vtkNew<vtkPolyDataMapper> mapper;
    vtkNew<vtkActor> actor;
    vtkNew<vtkLookupTable> lut;
    vtkNew<vtkPlaneSource> plane;
    vtkNew<vtkPolyDataMapper> planeMapper;
    vtkNew<vtkActor> planeActor;
    vtkNew<vtkOutlineSource> outline;
    vtkNew<vtkPolyDataMapper> outlineMapper;
    vtkNew<vtkActor> outlineActor;
    vtkNew<vtkCellPicker> picker;
    std::shared_ptr<PreparedSurface> surface;
    Shape shape;
    Spacing spacing;
    int sliceZ = 0;
    bool sliceVisible = false;
    std::uint32_t selected = 0;
    QSurface* glSurface = nullptr;
    bool initialized = false;
    bool inPaint = false;
    QPoint pressPos;
    bool clickCandidate = false;
    std::vector<unsigned long> observers;
    QMetaObject::Connection contextConnection;   ///< the context's aboutToBeDestroyed -> releaseGraphics

    // VTK asks for its context: make the widget's QOpenGLContext current on the widget's own
    // surface. (QOpenGLWidget::makeCurrent() here would rebind Qt's framebuffer: black view.)
    void onWindowEvent(vtkObject*, unsigned long event, void* callData)
    {
        QOpenGLContext* ctx = self->context();
        switch (event) {
        case vtkCommand::WindowMakeCurrentEvent:
            if (ctx && glSurface)
                ctx->makeCurrent(glSurface);
            break;
        case vtkCommand::WindowIsCurrentEvent:
            *static_cast<bool*>(callData) = ctx && QOpenGLContext::currentContext() == ctx;
            break;
        case vtkCommand::WindowFrameEvent:
            if (!inPaint)
                self->update();
            break;
        default:
            break;
        }
    }

    double dpr() const { return self->devicePixelRatioF(); }

    void setEventPosition(const QPointF& pos, Qt::KeyboardModifiers mods, int repeat = 0)
    {
        const double r = dpr();
        interactor->SetEventInformationFlipY(static_cast<int>(pos.x() * r), static_cast<int>(pos.y() * r),
                                             (mods & Qt::ControlModifier) ? 1 : 0, (mods & Qt::ShiftModifier) ? 1 : 0,
                                             0, repeat);
    }
};

SurfaceView::SurfaceView(QWidget* parent) : QOpenGLWidget(parent), d_(std::make_unique<Impl>())
{
    d_->self = this;
    setUpdateBehavior(QOpenGLWidget::NoPartialUpdate);
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(160, 160);
    setToolTip(tr("Left drag: rotate \u00b7 Shift+left or middle drag: pan \u00b7 Right drag or wheel: zoom\n"
                  "Click: select an object \u00b7 Double click: reset the view"));

    d_->window->AddRenderer(d_->renderer);
    d_->window->SetReadyForRendering(false);
    d_->interactor->SetRenderWindow(d_->window);
    d_->interactor->SetInteractorStyle(d_->style);
    d_->interactor->EnableRenderOff();  // we render in paintGL only

    d_->renderer->GradientBackgroundOn();
    d_->renderer->SetBackground(0.05, 0.06, 0.08);
    d_->renderer->SetBackground2(0.22, 0.25, 0.31);
    vtkNew<vtkLightKit> lights;
    lights->SetKeyLightIntensity(0.85);
    lights->AddLightsToRenderer(d_->renderer);

    d_->lut->SetNumberOfTableValues(1);
    d_->mapper->SetLookupTable(d_->lut);
    d_->mapper->SetScalarModeToUseCellData();
    d_->mapper->SetColorModeToMapScalars();
    d_->mapper->UseLookupTableScalarRangeOn();
    d_->mapper->ScalarVisibilityOn();
    d_->actor->SetMapper(d_->mapper);
    d_->actor->GetProperty()->SetInterpolationToGouraud();
    d_->actor->GetProperty()->SetAmbient(0.12);
    d_->actor->GetProperty()->SetDiffuse(0.8);
    d_->actor->GetProperty()->SetSpecular(0.25);
    d_->actor->GetProperty()->SetSpecularPower(30);
    d_->actor->VisibilityOff();
    d_->renderer->AddActor(d_->actor);

    d_->planeMapper->SetInputConnection(d_->plane->GetOutputPort());
    d_->planeActor->SetMapper(d_->planeMapper);
    d_->planeActor->GetProperty()->SetColor(0.55, 0.75, 1.0);
    d_->planeActor->GetProperty()->SetOpacity(0.25);
    d_->planeActor->GetProperty()->SetAmbient(1.0);
    d_->planeActor->GetProperty()->SetDiffuse(0.0);
    d_->planeActor->PickableOff();
    d_->planeActor->VisibilityOff();
    d_->renderer->AddActor(d_->planeActor);

    // A faint box around the volume gives the objects a frame of reference.
    d_->outlineMapper->SetInputConnection(d_->outline->GetOutputPort());
    d_->outlineActor->SetMapper(d_->outlineMapper);
    d_->outlineActor->GetProperty()->SetColor(0.6, 0.65, 0.75);
    d_->outlineActor->GetProperty()->SetOpacity(0.5);
    d_->outlineActor->GetProperty()->LightingOff();
    d_->outlineActor->PickableOff();
    d_->outlineActor->VisibilityOff();
    d_->renderer->AddActor(d_->outlineActor);

    d_->picker->SetTolerance(0.0005);
    d_->picker->PickFromListOn();
    d_->picker->AddPickList(d_->actor);
}

SurfaceView::~SurfaceView()
{
    // QOpenGLWidget's destructor, which runs after this one (and after d_ is gone), destroys
    // the context: its aboutToBeDestroyed must not reach this object any more.
    QObject::disconnect(d_->contextConnection);
    makeCurrent();
    releaseGraphics();
    doneCurrent();
}

void SurfaceView::releaseGraphics()
{
    if (!d_->initialized)
        return;
    for (unsigned long id : d_->observers)
        d_->window->RemoveObserver(id);
    d_->observers.clear();
    d_->window->Finalize();
    d_->window->SetReadyForRendering(false);
    d_->initialized = false;
}

void SurfaceView::initializeGL()
{
    releaseGraphics();  // a widget re-parented to another window gets a new context
    d_->glSurface = context()->surface();
    for (unsigned long event : {vtkCommand::WindowMakeCurrentEvent, vtkCommand::WindowIsCurrentEvent,
                                vtkCommand::WindowFrameEvent})
        d_->observers.push_back(d_->window->AddObserver(event, d_.get(), &Impl::onWindowEvent));
    d_->window->SetOwnContext(0);
    d_->window->SetFrameBlitModeToNoBlit();
    d_->window->SetForceMaximumHardwareLineWidth(1);
    d_->window->SetReadyForRendering(true);
    d_->window->OpenGLInitContext();
    d_->interactor->Initialize();
    d_->initialized = true;
    // A context destroyed while this view lives (the widget moved to another window) takes
    // VTK's resources with it. One connection at a time; the destructor drops it.
    QObject::disconnect(d_->contextConnection);
    d_->contextConnection = connect(context(), &QOpenGLContext::aboutToBeDestroyed, this,
                                    [this] {
                                        makeCurrent();
                                        releaseGraphics();
                                        doneCurrent();
                                    },
                                    Qt::DirectConnection);
}

void SurfaceView::resizeGL(int w, int h)
{
    const double r = devicePixelRatioF();
    const int dw = static_cast<int>(std::lround(w * r)), dh = static_cast<int>(std::lround(h * r));
    d_->window->SetSize(dw, dh);
    d_->interactor->UpdateSize(dw, dh);
}

void SurfaceView::paintGL()
{
    if (!d_->initialized)
        return;
    d_->inPaint = true;
    d_->window->Render();
    d_->inPaint = false;

    // Blit VTK's display framebuffer into the widget's framebuffer.
    makeCurrent();
    QOpenGLExtraFunctions* f = context()->extraFunctions();
    f->glBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
    const GLenum buffer = GL_COLOR_ATTACHMENT0;
    f->glDrawBuffers(1, &buffer);
    const GLboolean scissor = f->glIsEnabled(GL_SCISSOR_TEST);
    if (scissor)
        f->glDisable(GL_SCISSOR_TEST);
    int* src = d_->window->GetRenderFramebuffer()->GetLastSize();
    const double r = devicePixelRatioF();
    d_->window->BlitDisplayFramebuffer(0, 0, 0, src[0], src[1], 0, 0, static_cast<int>(std::lround(width() * r)),
                                       static_cast<int>(std::lround(height() * r)), GL_COLOR_BUFFER_BIT, GL_LINEAR);
    if (scissor)
        f->glEnable(GL_SCISSOR_TEST);
}

void SurfaceView::setSurface(std::shared_ptr<PreparedSurface> surface, const Shape& shape, const Spacing& spacing,
                             bool reset)
{
    d_->surface = std::move(surface);
    d_->shape = shape;
    d_->spacing = spacing;
    d_->selected = 0;
    if (d_->surface && d_->surface->poly) {
        d_->mapper->SetInputData(d_->surface->poly);
        d_->picker->RemoveAllLocators();
        d_->picker->AddLocator(d_->surface->locator);
        d_->actor->VisibilityOn();
    } else {
        d_->mapper->SetInputData(nullptr);
        d_->picker->RemoveAllLocators();
        d_->actor->VisibilityOff();
    }
    updateColors();
    updateSlicePlane();
    if (reset)
        resetCamera();
    update();
}

void SurfaceView::clear() { setSurface(nullptr, Shape{}, Spacing{}, false); }

QColor SurfaceView::objectColor(std::uint32_t id)
{
    // Golden-angle hue steps give neighbouring ids clearly different colours.
    const double hue = std::fmod(0.08 + 0.618033988749895 * static_cast<double>(id), 1.0);
    const double sat = (id % 3 == 0) ? 0.45 : 0.62;
    return QColor::fromHsvF(static_cast<float>(hue), static_cast<float>(sat), 0.95f);
}

void SurfaceView::updateColors()
{
    const std::uint32_t n = d_->surface ? d_->surface->objectCount : 0;
    d_->lut->SetNumberOfTableValues(n + 1);
    d_->lut->SetTableRange(0.0, std::max<double>(n, 1));
    d_->lut->SetTableValue(0, 0.5, 0.5, 0.5, 1.0);
    for (std::uint32_t id = 1; id <= n; ++id) {
        QColor c = objectColor(id);
        double k = (d_->selected == 0 || d_->selected == id) ? 1.0 : 0.5;
        if (d_->selected == id)
            d_->lut->SetTableValue(id, 1.0, 0.93, 0.25, 1.0);
        else
            d_->lut->SetTableValue(id, c.redF() * k, c.greenF() * k, c.blueF() * k, 1.0);
    }
    d_->lut->Build();
    d_->lut->Modified();
}

void SurfaceView::setSelectedObject(std::uint32_t id)
{
    if (id == d_->selected)
        return;
    d_->selected = id;
    updateColors();
    update();
}

std::uint32_t SurfaceView::selectedObject() const { return d_->selected; }

void SurfaceView::setSlice(int z)
{
    d_->sliceZ = z;
    d_->sliceVisible = true;
    updateSlicePlane();
    update();
}

void SurfaceView::setSliceVisible(bool visible)
{
    d_->sliceVisible = visible;
    updateSlicePlane();
    update();
}

void SurfaceView::updateSlicePlane()
{
    const Shape& s = d_->shape;
    if (s.voxels() > 0) {
        const Spacing& v = d_->spacing;
        d_->outline->SetBounds(-0.5 * v.x, (static_cast<double>(s.width) - 0.5) * v.x, -0.5 * v.y,
                               (static_cast<double>(s.height) - 0.5) * v.y, -0.5 * v.z,
                               (static_cast<double>(s.depth) - 0.5) * v.z);
        d_->outlineActor->VisibilityOn();
    } else {
        d_->outlineActor->VisibilityOff();
    }
    if (!d_->sliceVisible || s.voxels() == 0) {
        d_->planeActor->VisibilityOff();
        return;
    }
    const Spacing& sp = d_->spacing;
    const double x0 = -0.5 * sp.x, y0 = -0.5 * sp.y;
    const double x1 = (static_cast<double>(s.width) - 0.5) * sp.x, y1 = (static_cast<double>(s.height) - 0.5) * sp.y;
    const double z = std::clamp<double>(d_->sliceZ, 0, static_cast<double>(s.depth - 1)) * sp.z;
    d_->plane->SetOrigin(x0, y0, z);
    d_->plane->SetPoint1(x1, y0, z);
    d_->plane->SetPoint2(x0, y1, z);
    d_->planeActor->VisibilityOn();
}

void SurfaceView::resetCamera()
{
    vtkCamera* cam = d_->renderer->GetActiveCamera();
    double b[6];
    if (d_->surface && d_->surface->poly && d_->surface->poly->GetNumberOfCells() > 0)
        d_->surface->poly->GetBounds(b);
    else if (d_->shape.voxels() > 0) {
        b[0] = 0; b[1] = (d_->shape.width - 1) * d_->spacing.x;
        b[2] = 0; b[3] = (d_->shape.height - 1) * d_->spacing.y;
        b[4] = 0; b[5] = (d_->shape.depth - 1) * d_->spacing.z;
    } else {
        d_->renderer->ResetCamera();
        return;
    }
    const double c[3] = {(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2};
    // Look along +z (from slice 0), image rows pointing down as in the slice view, then tilt.
    cam->SetFocalPoint(c);
    cam->SetPosition(c[0], c[1], c[2] - 1.0);
    cam->SetViewUp(0, -1, 0);
    cam->Azimuth(-20);
    cam->Elevation(-35);
    cam->OrthogonalizeViewUp();
    d_->renderer->ResetCamera(b);
    cam->Zoom(1.3);
    d_->renderer->ResetCameraClippingRange();
    update();
}

std::uint32_t SurfaceView::objectAt(const QPoint& pos)
{
    if (!d_->surface || !d_->surface->poly || !d_->actor->GetVisibility())
        return 0;
    const double r = devicePixelRatioF();
    const int dh = static_cast<int>(std::lround(height() * r));
    const double x = pos.x() * r, y = dh - 1 - pos.y() * r;
    if (!d_->picker->Pick(x, y, 0.0, d_->renderer))
        return 0;
    const vtkIdType cell = d_->picker->GetCellId();
    auto* ids = vtkUnsignedIntArray::SafeDownCast(d_->surface->poly->GetCellData()->GetArray("ObjectId"));
    if (cell < 0 || !ids || cell >= ids->GetNumberOfValues())
        return 0;
    return ids->GetValue(cell);
}

void SurfaceView::mousePressEvent(QMouseEvent* event)
{
    d_->setEventPosition(event->position(), event->modifiers());
    d_->pressPos = event->position().toPoint();
    d_->clickCandidate = event->button() == Qt::LeftButton;
    switch (event->button()) {
    case Qt::LeftButton: d_->interactor->LeftButtonPressEvent(); break;
    case Qt::MiddleButton: d_->interactor->MiddleButtonPressEvent(); break;
    case Qt::RightButton: d_->interactor->RightButtonPressEvent(); break;
    default: break;
    }
    update();
}

void SurfaceView::mouseMoveEvent(QMouseEvent* event)
{
    d_->setEventPosition(event->position(), event->modifiers());
    if ((event->position().toPoint() - d_->pressPos).manhattanLength() > 3)
        d_->clickCandidate = false;
    d_->interactor->MouseMoveEvent();
    if (event->buttons() != Qt::NoButton)
        update();
}

void SurfaceView::mouseReleaseEvent(QMouseEvent* event)
{
    d_->setEventPosition(event->position(), event->modifiers());
    switch (event->button()) {
    case Qt::LeftButton: d_->interactor->LeftButtonReleaseEvent(); break;
    case Qt::MiddleButton: d_->interactor->MiddleButtonReleaseEvent(); break;
    case Qt::RightButton: d_->interactor->RightButtonReleaseEvent(); break;
    default: break;
    }
    if (event->button() == Qt::LeftButton && d_->clickCandidate) {
        d_->clickCandidate = false;
        const std::uint32_t id = objectAt(event->position().toPoint());
        setSelectedObject(id);
        Q_EMIT objectSelected(id);
    }
    update();
}

void SurfaceView::wheelEvent(QWheelEvent* event)
{
    d_->setEventPosition(event->position(), event->modifiers());
    const int steps = event->angleDelta().y();
    if (steps > 0)
        d_->interactor->MouseWheelForwardEvent();
    else if (steps < 0)
        d_->interactor->MouseWheelBackwardEvent();
    event->accept();
    update();
}

void SurfaceView::mouseDoubleClickEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton)
        resetCamera();
}

}  // namespace mitoseg::ui
